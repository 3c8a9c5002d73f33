"""DuckDB peer: load a Unit4 ledger extract (CSV) into a table, then budget against actual
per cost centre (join with the plan CSV, group by cost centre).

usage: python3 duckdb_peer.py LEDGER.csv PLAN.csv DBFILE|:memory: MONTH_NUMBER [THREADS]

DBFILE is deleted first. THREADS defaults to DuckDB's own choice (every core).

Prints one line of key=value timings (seconds); run it under /usr/bin/time for peak memory.
"""
import os
import sys
import time

t_start = time.perf_counter()
import duckdb  # noqa: E402  (the import is timed as part of the process, not of the load)

ledger, plan, dbfile, month = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
if dbfile != ":memory:":
    for suffix in ("", ".wal"):
        try:
            os.remove(dbfile + suffix)
        except FileNotFoundError:
            pass
con = duckdb.connect(dbfile)
if len(sys.argv) > 5:
    con.execute(f"SET threads = {int(sys.argv[5])}")
threads = con.execute("SELECT current_setting('threads')").fetchone()[0]

# Load: the extract as the Unit4 layout has it (dd/mm/yyyy dates, signed amounts with two
# decimals), amounts as DECIMAL(18,2) so that money stays exact, as pooled keeps pence.
t0 = time.perf_counter()
con.execute(
    """
    CREATE TABLE ledger AS SELECT * FROM read_csv(?, header = true, delim = ',', quote = '"',
        dateformat = '%d/%m/%Y',
        columns = {
            'Cost Centre': 'VARCHAR', 'Voucher Date': 'DATE', 'Account': 'VARCHAR',
            'Description': 'VARCHAR', 'Voucher No': 'VARCHAR', 'Amount': 'DECIMAL(18,2)'
        })
    """,
    [ledger],
)
con.execute(
    """
    CREATE TABLE plan AS SELECT * FROM read_csv(?, header = true,
        columns = {'code': 'VARCHAR', 'name': 'VARCHAR', 'partner': 'VARCHAR', 'pool': 'VARCHAR',
                   'line': 'VARCHAR', 'budget': 'DECIMAL(18,2)'})
    """,
    [plan],
)
con.execute("CHECKPOINT")
rows = con.execute("SELECT count(*) FROM ledger").fetchone()[0]
t_load = time.perf_counter() - t0

# Query: per cost centre of the plan, annual budget, budget to date (flat profile: month/12),
# actual to date and the variance, as the monthly report's cost-centre rows have them.
t1 = time.perf_counter()
result = con.execute(
    """
    SELECT p.code, p.pool, p.line, p.budget,
           round(p.budget * ? / 12, 2) AS budget_to_date,
           coalesce(a.actual, 0) AS actual,
           coalesce(a.actual, 0) - round(p.budget * ? / 12, 2) AS variance
    FROM plan p
    LEFT JOIN (SELECT "Cost Centre" AS code, sum("Amount") AS actual FROM ledger GROUP BY 1) a
      ON a.code = p.code
    ORDER BY p.pool, p.line, p.code
    """,
    [month, month],
).fetchall()
t_query = time.perf_counter() - t1

# What pooled also checks on import, for reference (not in load or query): rows whose cost
# centre is not in the plan, or whose date is outside May 2016.
t2 = time.perf_counter()
bad = con.execute(
    """
    SELECT count(*) FROM ledger l LEFT JOIN plan p ON p.code = l."Cost Centre"
    WHERE p.code IS NULL OR l."Voucher Date" NOT BETWEEN DATE '2016-05-01' AND DATE '2016-05-31'
    """
).fetchone()[0]
t_check = time.perf_counter() - t2
total = sum(r[5] for r in result)
con.close()
print(
    f"rows={rows} cost_centres={len(result)} actual_total={total} bad_rows={bad} threads={threads} "
    f"load_s={t_load:.3f} query_s={t_query:.4f} load_query_s={t_load + t_query:.3f} check_s={t_check:.3f} "
    f"process_s={time.perf_counter() - t_start:.3f}"
)
