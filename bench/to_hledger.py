"""Converts a Unit4 ledger extract (CSV) and a cost-centre plan (CSV) to hledger journals.

usage: python3 to_hledger.py LEDGER.csv PLAN.csv JOURNAL BUDGET_JOURNAL

The extract streams through one row at a time: one transaction per row, dated ISO, its
voucher number as the code, posting `expenses:<cost centre>` against `liabilities:ledger`
with the amount to two decimals. The plan becomes one periodic transaction
(`~ monthly` over the financial year 2016-17) with each cost centre's annual budget / 12.
The ledger journal includes the budget journal, so `hledger -f JOURNAL` sees both.
"""
import csv
import os
import sys
from decimal import ROUND_HALF_EVEN, Decimal

ledger, plan, journal, budget = sys.argv[1:5]
PENNY = Decimal("0.01")


def clean(text):
    # `;` starts a comment and `|` splits payee from note in a description: keep them out.
    return text.replace(";", ",").replace("|", "/").strip()


with open(plan, newline="") as f, open(budget, "w") as out:
    out.write("~ monthly from 2016-04-01 to 2017-04-01  budget 2016-17 (annual budget / 12)\n")
    for r in csv.DictReader(f):
        monthly = (Decimal(r["budget"]) / 12).quantize(PENNY, ROUND_HALF_EVEN)
        out.write(f"    expenses:{r['code']}    {monthly:.2f}\n")
    out.write("    liabilities:ledger\n\n")

rows = 0
with open(ledger, newline="") as f, open(journal, "w", buffering=1 << 20) as out:
    out.write(f"include {os.path.abspath(budget)}\n\n")
    reader = csv.reader(f)
    header = next(reader)
    cc, date, desc, ref, amount = (header.index(c) for c in
                                   ("Cost Centre", "Voucher Date", "Description", "Voucher No", "Amount"))
    write = out.write
    for r in reader:
        d = r[date]  # dd/mm/yyyy
        a = r[amount]
        # Amounts are signed with at most two decimals: pad to exactly two without floats.
        if "." not in a:
            a += ".00"
        elif len(a) - a.index(".") == 2:
            a += "0"
        write(f"{d[6:10]}-{d[3:5]}-{d[0:2]} ({r[ref]}) {clean(r[desc])}\n"
              f"    expenses:{r[cc]}    {a}\n    liabilities:ledger\n\n")
        rows += 1
print(f"{rows} transactions written to {journal}")
