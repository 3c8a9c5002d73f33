"""Times the monthly report's reads straight against a pooled SQLite file, without the
`pooled` process: the actuals query (the one that grows with the ledger), the plan and the
agreement. Prints key=value medians in milliseconds.

usage: python3 sqlite_query.py DATABASE RUNS
"""
import sqlite3
import statistics
import sys
import time

db, runs = sys.argv[1], int(sys.argv[2])
QUERIES = {
    "actuals": """SELECT a.cost_centre, i.month, SUM(a.amount), SUM(a.row_count)
                  FROM ledger_import i JOIN actual a ON a.import_id = i.id
                  WHERE i.year = 2016 AND i.replaced_by IS NULL
                  GROUP BY a.cost_centre, i.month ORDER BY a.cost_centre, i.month""",
    "plan": "SELECT * FROM cost_centre WHERE year = 2016 ORDER BY position",
    "agreement": "SELECT toml FROM agreement WHERE year = 2016 ORDER BY version DESC LIMIT 1",
}
out = []
t0 = time.perf_counter()
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
con.execute("SELECT count(*) FROM sqlite_master").fetchone()
out.append(f"open_ms={(time.perf_counter() - t0) * 1e3:.3f}")
for name, sql in QUERIES.items():
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        n = len(con.execute(sql).fetchall())
        times.append((time.perf_counter() - t) * 1e3)
    out.append(f"{name}_rows={n} {name}_ms={statistics.median(times):.3f}")
# For scale: what scanning the ledger itself would cost, if the report summed the rows.
t = time.perf_counter()
con.execute("SELECT cost_centre, SUM(amount) FROM ledger_row GROUP BY cost_centre").fetchall()
out.append(f"scan_ledger_ms={(time.perf_counter() - t) * 1e3:.1f}")
print(" ".join(out))
