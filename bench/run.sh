#!/usr/bin/env bash
# The benchmark of issue 3: importing generated ledger extracts into SQLite and PostgreSQL
# with `pooled`, then the monthly report; DuckDB and hledger on the same extract and plan.
#
# usage: bash bench/run.sh [ROWS ...]          (default: 1000000 10000000)
#
# Environment (all optional):
#   BENCH_DIR=/tmp/pooled-bench    scratch directory (a few GB at 10 million rows)
#   REPORT_RUNS=10                 runs of the monthly report; the median is reported
#   IMPORT_RUNS=3                  imports of each extract into each backend (each into a
#                                  fresh database); the median is reported
#   PEER_TIMEOUT=1800              seconds allowed to each DuckDB or hledger run
#   PG_URL=postgres://postgres@127.0.0.1:5432   server; databases pooled_bench* are dropped
#   SKIP_BREAKDOWN=1               skip the where-does-the-time-go experiments
#   QUIET_WAIT=300                 seconds to wait for an idle CPU before each measurement
#
# It installs what it lacks (DuckDB from PyPI, hledger and GNU time from Debian), builds
# `pooled` in release mode, starts PostgreSQL if it is down, and writes every raw figure to
# bench/results-YYYY-MM-DD.txt, then prints a table.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if (($# == 0)); then set -- 1000000 10000000; fi
SIZES=("$@")
for n in "${SIZES[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: sizes are row counts, not \`$n\`" >&2; exit 2; }
done
WORK=${BENCH_DIR:-/tmp/pooled-bench}
REPORT_RUNS=${REPORT_RUNS:-10}
IMPORT_RUNS=${IMPORT_RUNS:-3}
PEER_TIMEOUT=${PEER_TIMEOUT:-1800}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
PG_DB=pooled_bench
AGREEMENT=$ROOT/examples/oxfordshire-2016-17.toml
YEAR=2016-17
MONTH=M2          # May 2016 is month 2 of the financial year
PERIOD=2016-05
PARTNER=OCC
PRESET=unit4
SEED=1
DATE=$(date +%Y-%m-%d)
RESULTS=$ROOT/bench/results-$DATE.txt

source "$ROOT/bench/common.sh"

[ -x /usr/bin/time ] || apt_install time
command -v hledger >/dev/null || apt_install hledger
command -v psql >/dev/null || apt_install postgresql-client
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install --quiet duckdb >&2

max_rows=0
for n in "${SIZES[@]}"; do ((n > max_rows)) && max_rows=$n; done
mkdir -p "$WORK"
# About 86 bytes of CSV a row, twice (the extract and a copy for the breakdown), about 92
# in SQLite, 30 in DuckDB, 120 in a hledger journal (at most 1 million rows of it).
need_kb=$(((max_rows * 310 + 200000000) / 1024))
free_kb=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
if ((free_kb < need_kb)); then
  echo "run.sh: $WORK has $((free_kb / 1024)) MB free, the run needs about $((need_kb / 1024)) MB" >&2
  exit 1
fi

: >"$RESULTS"
build_pooled
# The store's own benchmark (rows made in memory, no file): for the breakdown only.
STORE_BENCH=""
if [ -z "${SKIP_BREAKDOWN:-}" ] &&
  (cd "$ROOT" && cargo build --release -p pooled-store --example import_bench >&2); then
  cp "$ROOT/target/release/examples/import_bench" "$WORK/import_bench"
  STORE_BENCH=$WORK/import_bench
fi
# The import's stages without a database, and SQLite layouts (bench/stages: not part of
# the workspace; it calls pooled-core, pooled-files and pooled-store's tally and changes
# nothing in them).
STAGES=""
if [ -z "${SKIP_BREAKDOWN:-}" ] &&
  cargo build --release --manifest-path "$ROOT/bench/stages/Cargo.toml" --target-dir "$WORK/stages-target" >&2; then
  STAGES=$WORK/stages-target/release
fi

start_pg

# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------
# Every process below PID (itself included), for the memory watchdog.
tree_rss_kb() {
  ps -e -o pid=,ppid=,rss= | awk -v root="$1" '
    { parent[$1] = $2; rss[$1] = $3 }
    END { for (p in parent) { q = p; while (q != "" && q != 0 && q != root) q = parent[q]; if (q == root) t += rss[p] } print t + 0 }'
}

# watched KEY LIMIT_KB CMD...: as `timed`, under `timeout $PEER_TIMEOUT`, and stopped if the
# process tree's resident memory passes LIMIT_KB (sampled each second). Records KEY_end:
# ok, timeout, memory-limit or exit-N.
watched() {
  local key=$1 limit=$2 t0 t1 status=0 end=ok pid
  shift 2
  t0=$(now)
  timeout "$PEER_TIMEOUT" /usr/bin/time -o "$WORK/$key.time" -f '%e %M %U %S' "$@" >"$WORK/$key.out" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if (($(tree_rss_kb "$pid") > limit)); then
      end=memory-limit
      kill -TERM "$pid" 2>/dev/null || true
      break
    fi
    sleep 1
  done
  wait "$pid" || status=$?
  t1=$(now)
  if [ "$end" = ok ] && ((status == 124)); then end=timeout; fi
  if [ "$end" = ok ] && ((status != 0)); then end=exit-$status; fi
  local wall rss user sys
  read -r wall rss user sys < <(tail -1 "$WORK/$key.time" 2>/dev/null) || true
  # GNU time's wall clock (10 ms steps): the watchdog's one-second polls would pad bash's.
  [[ $wall =~ ^[0-9.]+$ ]] || wall=$(elapsed "$t0" "$t1")
  rec "${key}_s" "$wall"
  rec "${key}_rss_kb" "${rss:-0}"
  rec "${key}_end" "$end"
}

# Samples the largest resident set of any one PostgreSQL server process until stopped;
# the figure goes to FILE (it counts the shared buffers that process touched).
pg_rss_sampler() {
  local file=$1 max=0 r
  echo 0 >"$file"
  while :; do
    r=$(ps -C postgres -o rss= | sort -n | tail -1)
    if ((${r:-0} > max)); then max=$r; echo "$max" >"$file"; fi
    sleep 0.2
  done
}

# The net total `pooled import` prints ("net £1,234.56" -> 1234.56).
pooled_net() { sed -n 's/.*net £\([-0-9,.]*\).*/\1/p' "$1" | tr -d , | tail -1; }

# report_runs KEY DATABASE: the monthly report REPORT_RUNS times; the median wall time in
# ms (the whole process: start, opening the database, reading and validating the stored
# agreement, the queries, building and writing the JSON) and the peak memory of one run.
report_runs() {
  local key=$1 db=$2 i t0 t1 times=()
  for ((i = 0; i < REPORT_RUNS; i++)); do
    t0=$(now)
    "$POOLED" --database "$db" report --year $YEAR --month $MONTH --format json -o /dev/null >/dev/null
    t1=$(now)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')")
  done
  rec "${key}_ms" "$(printf '%s\n' "${times[@]}" | median)"
  rec "${key}_all_ms" "$(
    IFS=,
    echo "${times[*]}"
  )"
  timed "${key}_once" "$POOLED" --database "$db" report --year $YEAR --month $MONTH --format json -o /dev/null
}

# summarise_runs KEY ROWS: from KEY_1..KEY_$IMPORT_RUNS, KEY_s (the median wall time),
# KEY_lines_per_s (from it), KEY_rss_kb (the largest peak) and every run's figures.
summarise_runs() {
  local key=$1 rows=$2 run walls=() rss=() others=()
  for ((run = 1; run <= IMPORT_RUNS; run++)); do
    walls+=("${R[${key}_${run}_s]}")
    rss+=("${R[${key}_${run}_rss_kb]}")
    others+=("${R[${key}_${run}_others_pct]}")
  done
  rec "${key}_s" "$(printf '%s\n' "${walls[@]}" | median)"
  rec "${key}_all_s" "$(IFS=,; echo "${walls[*]}")"
  rec "${key}_others_pct_all" "$(IFS=,; echo "${others[*]}")"
  rec "${key}_rss_kb" "$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)"
  rec "${key}_lines_per_s" "$(div "$rows" "${R[${key}_s]}")"
}

# setup KEY DATABASE: agreement, plan and mapping, as a pool would set up once.
setup() {
  local key=$1 db=$2
  "$POOLED" --database "$db" load "$AGREEMENT" >"$WORK/$key-setup.out"
  "$POOLED" --database "$db" load-plan --year $YEAR "$WORK/plan.csv" >>"$WORK/$key-setup.out"
  "$POOLED" --database "$db" save-mapping --partner $PARTNER --preset $PRESET >>"$WORK/$key-setup.out"
}

# ---------------------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------------------
record_machine
rec sizes "$(
  IFS=,
  echo "${SIZES[*]}"
)"
rec sqlite_version "$(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)') (Python's; pooled bundles its own via rusqlite)"
rec postgres_version "$(psql_admin -At -c 'SHOW server_version')"
rec postgres_settings "$(pg_settings)"
rec duckdb_version "$(python3 -c 'import duckdb; print(duckdb.__version__)')"
rec hledger_version "$(hledger --version | head -1)"
rec python_version "$(python3 --version)"
mem_limit_kb=$(awk '/^MemAvailable:/ { printf "%d", $2 * 0.8 }' /proc/meminfo)
rec peer_memory_limit_kb "$mem_limit_kb"
rec peer_timeout_s "$PEER_TIMEOUT"
rec loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"

log "the plan: $AGREEMENT"
"$POOLED" gen-plan "$AGREEMENT" -o "$WORK/plan.csv" >/dev/null
rec plan_cost_centres "$(($(wc -l <"$WORK/plan.csv") - 1))"

hledger_probe_rows=0 hledger_probe_s=0 hledger_probe_rss=0

for N in "${SIZES[@]}"; do
  P=n$N
  LEDGER=$WORK/ledger-$N.csv

  # -------------------------------------------------------------------------------------
  log "$N rows: generating one $PARTNER extract for $PERIOD (not part of any import time)"
  timed "${P}_gen" "$POOLED" gen-ledger --agreement "$AGREEMENT" --partner $PARTNER --period $PERIOD \
    --rows "$N" --seed $SEED --preset $PRESET -o "$LEDGER"
  check_ok "${P}_gen"
  rec "${P}_csv_bytes" "$(stat -c %s "$LEDGER")"
  rec "${P}_csv_lines" "$(($(wc -l <"$LEDGER") - 1))"

  # -------------------------------------------------------------------------------------
  log "$N rows: pooled into SQLite"
  DB=$WORK/pooled-$N.sqlite
  for ((run = 1; run <= IMPORT_RUNS; run++)); do
    rm -f "$DB" "$DB-wal" "$DB-shm"
    setup "${P}_sqlite" "$DB"
    # The same report before any import, for comparison.
    ((run > 1)) || report_runs "${P}_sqlite_report_empty" "$DB"
    quiet "${P}_sqlite_import_$run"
    timed "${P}_sqlite_import_$run" "$POOLED" --database "$DB" import --partner $PARTNER --period $PERIOD "$LEDGER"
    check_ok "${P}_sqlite_import_$run"
  done
  summarise_runs "${P}_sqlite_import" "$N"
  rec "${P}_sqlite_net" "$(pooled_net "$WORK/${P}_sqlite_import_1.out")"
  rec "${P}_sqlite_bytes" "$(du -cb "$DB"* | tail -1 | cut -f1)"
  quiet "${P}_sqlite_report"
  report_runs "${P}_sqlite_report" "$DB"
  rec "${P}_sqlite_queries" "$(python3 "$ROOT/bench/sqlite_query.py" "$DB" "$REPORT_RUNS")"

  # -------------------------------------------------------------------------------------
  log "$N rows: pooled into PostgreSQL"
  DB=$PG_URL/$PG_DB
  for ((run = 1; run <= IMPORT_RUNS; run++)); do
    fresh_pg_db $PG_DB
    setup "${P}_pg" "$DB"
    ((run > 1)) || report_runs "${P}_pg_report_empty" "$DB"
    quiet "${P}_pg_import_$run"
    pg_rss_sampler "$WORK/${P}_pg_server_rss_$run" &
    sampler=$!
    timed "${P}_pg_import_$run" "$POOLED" --database "$DB" import --partner $PARTNER --period $PERIOD "$LEDGER"
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    check_ok "${P}_pg_import_$run"
    rec "${P}_pg_server_rss_kb_$run" "$(cat "$WORK/${P}_pg_server_rss_$run")"
  done
  summarise_runs "${P}_pg_import" "$N"
  rec "${P}_pg_server_rss_kb" "$(for ((run = 1; run <= IMPORT_RUNS; run++)); do echo "${R[${P}_pg_server_rss_kb_$run]}"; done | sort -n | tail -1)"
  rec "${P}_pg_net" "$(pooled_net "$WORK/${P}_pg_import_1.out")"
  rec "${P}_pg_bytes" "$(psql_admin -At -c "SELECT pg_database_size('$PG_DB')")"
  quiet "${P}_pg_report"
  report_runs "${P}_pg_report" "$DB"
  # The actuals query alone, on the server (psql's \timing: one round trip each).
  actuals_sql="SELECT a.cost_centre, i.month, SUM(a.amount)::BIGINT, SUM(a.row_count)::BIGINT
    FROM ledger_import i JOIN actual a ON a.import_id = i.id
    WHERE i.agreement_id = 'oxon-s75' AND i.year = 2016 AND i.replaced_by IS NULL
    GROUP BY a.cost_centre, i.month ORDER BY a.cost_centre, i.month"
  rec "${P}_pg_actuals_query_ms" "$(
    for ((i = 0; i < REPORT_RUNS; i++)); do printf '%s;\n' "$actuals_sql"; done |
      psql -X -q "$DB" -c '\timing on' -f - -o /dev/null | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | median
  )"

  # -------------------------------------------------------------------------------------
  log "$N rows: DuckDB (load the CSV, then budget against actual per cost centre)"
  for threads in default 1; do
    key=${P}_duckdb
    [ "$threads" = default ] || key=${P}_duckdb_t$threads
    args=("$LEDGER" "$WORK/plan.csv" "$WORK/bench-$N.duckdb" 2)
    [ "$threads" = default ] || args+=("$threads")
    quiet "$key"
    watched "$key" "$mem_limit_kb" python3 "$ROOT/bench/duckdb_peer.py" "${args[@]}"
    if [ "${R[${key}_end]}" = ok ]; then
      for kv in $(tail -1 "$WORK/$key.out"); do rec "${key}_${kv%%=*}" "${kv#*=}"; done
    else
      note "DuckDB (threads: $threads) on $N rows did not finish: ${R[${key}_end]}"
    fi
    rm -f "$WORK/bench-$N.duckdb" "$WORK/bench-$N.duckdb.wal"
  done

  # -------------------------------------------------------------------------------------
  log "$N rows: hledger (balance --budget on the extract as a journal)"
  # hledger holds the whole journal in memory: predict from a smaller run whether this
  # size fits in memory and time; if not, say so rather than run it.
  skip=""
  if ((hledger_probe_rows > 0 && N > hledger_probe_rows)); then
    predicted_kb=$(awk -v r="$hledger_probe_rss" -v a="$hledger_probe_rows" -v n="$N" 'BEGIN { printf "%d", r * n / a }')
    predicted_s=$(awk -v s="$hledger_probe_s" -v a="$hledger_probe_rows" -v n="$N" 'BEGIN { printf "%d", s * n / a }')
    rec "${P}_hledger_predicted_rss_kb" "$predicted_kb"
    rec "${P}_hledger_predicted_s" "$predicted_s"
    if ((predicted_kb > mem_limit_kb)); then
      skip="at $hledger_probe_rows rows it peaked at $((hledger_probe_rss / 1024)) MB, so $N rows would need about $((predicted_kb / 1024 / 1024)) GB; this machine has $((mem_limit_kb / 1024 / 1024)) GB to give it"
    elif ((predicted_s > PEER_TIMEOUT)); then
      skip="at $hledger_probe_rows rows it took ${hledger_probe_s} s, so $N rows would take about $predicted_s s, beyond the ${PEER_TIMEOUT} s limit"
    fi
  fi
  if [ -n "$skip" ]; then
    rec "${P}_hledger_end" "skipped"
    note "hledger not run on $N rows: $skip"
  else
    JOURNAL=$WORK/ledger-$N.journal
    timed "${P}_hledger_convert" python3 "$ROOT/bench/to_hledger.py" "$LEDGER" "$WORK/plan.csv" "$JOURNAL" "$WORK/budget.journal"
    check_ok "${P}_hledger_convert"
    quiet "${P}_hledger"
    watched "${P}_hledger" "$mem_limit_kb" hledger -f "$JOURNAL" balance --budget -M -p $PERIOD expenses
    rm -f "$JOURNAL"
    if [ "${R[${P}_hledger_end]}" = ok ]; then
      # The grand total line: "|| 5115054051.68 [ 17804% of 28729576.99]"
      rec "${P}_hledger_net" "$(grep -v '^hledger' "$WORK/${P}_hledger.out" | tail -1 | sed 's/.*||  *\([-0-9.]*\).*/\1/')"
      hledger_probe_rows=$N hledger_probe_s=${R[${P}_hledger_s]} hledger_probe_rss=${R[${P}_hledger_rss_kb]}
    else
      note "hledger on $N rows did not finish: ${R[${P}_hledger_end]}"
    fi
  fi

  # -------------------------------------------------------------------------------------
  if [ -z "${SKIP_BREAKDOWN:-}" ]; then
    log "$N rows: where the import time goes"
    timed "${P}_read" wc -l "$LEDGER"
    quiet "${P}_sha256"
    timed "${P}_sha256" sha256sum "$LEDGER"
    # Everything but the writes: the same file with its first row's cost centre unmapped.
    # pooled reads, hashes, parses and validates every row (to report every bad one) and
    # writes nothing.
    BAD=$WORK/ledger-$N-bad.csv
    sed '2s/^[^,]*/UNMAPPED/' "$LEDGER" >"$BAD"
    DB=$WORK/pooled-$N-validate.sqlite
    rm -f "$DB" "$DB-wal" "$DB-shm"
    setup "${P}_validate" "$DB"
    for ((run = 1; run <= IMPORT_RUNS; run++)); do
      quiet "${P}_validate_only_$run"
      timed "${P}_validate_only_$run" "$POOLED" --database "$DB" import --partner $PARTNER --period $PERIOD "$BAD"
    done
    summarise_runs "${P}_validate_only" "$N"
    rec "${P}_validate_only_message" "$(head -1 "$WORK/${P}_validate_only_1.out")"
    rm -f "$BAD" "$DB" "$DB-wal" "$DB-shm"
    if [ -n "$STAGES" ]; then
      quiet "${P}_stages"
      timed "${P}_stages" env ROUNDS=3 "$STAGES/pooled-import-stages" "$AGREEMENT" "$WORK/plan.csv" "$LEDGER" $PARTNER $PERIOD
      rec "${P}_stages_says" "$(grep -E '^(stage|cost)' "$WORK/${P}_stages.out" | tr '\n' ';')"
      quiet "${P}_sqlite_variants"
      timed "${P}_sqlite_variants" "$STAGES/sqlite_variants" "$LEDGER" "$WORK"
      rec "${P}_sqlite_variants_says" "$(grep '^variant' "$WORK/${P}_sqlite_variants.out" | tr '\n' ';')"
    fi
    # The store alone: rows made in memory, no file, no validation (the store's example).
    if [ -n "$STORE_BENCH" ]; then
      quiet "${P}_store_sqlite"
      timed "${P}_store_sqlite" "$STORE_BENCH" sqlite "$WORK/store-bench.sqlite" "$N"
      rec "${P}_store_sqlite_says" "$(grep -E 'generating|import 1/1|actuals' "$WORK/${P}_store_sqlite.out" | tr '\n' ';')"
      rm -f "$WORK/store-bench.sqlite"*
      fresh_pg_db pooled_bench_store
      quiet "${P}_store_pg"
      timed "${P}_store_pg" "$STORE_BENCH" postgres "$PG_URL/pooled_bench_store" "$N"
      rec "${P}_store_pg_says" "$(grep -E 'generating|import 1/1|actuals' "$WORK/${P}_store_pg.out" | tr '\n' ';')"
      psql_admin -c "DROP DATABASE IF EXISTS pooled_bench_store"
    fi
  fi
  rm -f "$WORK/pooled-$N.sqlite" "$WORK/pooled-$N.sqlite-wal" "$WORK/pooled-$N.sqlite-shm"
done
rm -f "$WORK/budget.journal"
rec loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------
{
  echo
  echo "pooled benchmark, $(g date), $(g cpu), $(g cores) cores, $(g mem_total)"
  echo "one $PARTNER extract for $PERIOD ($PRESET layout, seed $SEED); report: $YEAR $MONTH, JSON, median of $REPORT_RUNS runs"
  echo
  printf '%-42s' ""
  for N in "${SIZES[@]}"; do printf '%22s' "$N rows"; done
  echo
  row() { # LABEL FUNCTION: FUNCTION N prints the cell
    printf '%-42s' "$1"
    for N in "${SIZES[@]}"; do printf '%22s' "$($2 "n$N")"; done
    echo
  }
  c_gen() { echo "$(g "${1}_gen_s") s"; }
  c_csv() { echo "$(awk -v b="$(g "${1}_csv_bytes")" 'BEGIN { printf "%.0f", b / 1e6 }') MB"; }
  c_sq_s() { echo "$(g "${1}_sqlite_import_s") s"; }
  c_sq_rate() { echo "$(g "${1}_sqlite_import_lines_per_s")"; }
  c_sq_mb() { echo "$(mb "$(g "${1}_sqlite_import_rss_kb")") MB"; }
  c_sq_rep() { echo "$(g "${1}_sqlite_report_ms") ms"; }
  c_sq_rep0() { echo "$(g "${1}_sqlite_report_empty_ms") ms"; }
  c_sq_q() { echo "$(g "${1}_sqlite_queries" | sed -n 's/.*actuals_ms=\([0-9.]*\).*/\1/p') ms"; }
  c_pg_s() { echo "$(g "${1}_pg_import_s") s"; }
  c_pg_rate() { echo "$(g "${1}_pg_import_lines_per_s")"; }
  c_pg_mb() { echo "$(mb "$(g "${1}_pg_import_rss_kb")") MB"; }
  c_pg_srv() { echo "$(mb "$(g "${1}_pg_server_rss_kb")") MB"; }
  c_pg_rep() { echo "$(g "${1}_pg_report_ms") ms"; }
  c_pg_q() { echo "$(g "${1}_pg_actuals_query_ms") ms"; }
  c_dk_load() { echo "$(g "${1}_duckdb_load_s") s"; }
  c_dk_query() { echo "$(g "${1}_duckdb_query_s") s"; }
  c_dk_sum() { echo "$(g "${1}_duckdb_load_query_s") s"; }
  c_dk_proc() { echo "$(g "${1}_duckdb_s") s"; }
  c_dk_mb() { [ "$(g "${1}_duckdb_end")" = ok ] && echo "$(mb "$(g "${1}_duckdb_rss_kb")") MB" || g "${1}_duckdb_end"; }
  c_dk1_sum() { echo "$(g "${1}_duckdb_t1_load_query_s") s"; }
  c_ratio() { div "$(g "${1}_sqlite_import_s")" "$(g "${1}_duckdb_load_query_s")" "%.1fx"; }
  c_ratio_pg() { div "$(g "${1}_pg_import_s")" "$(g "${1}_duckdb_load_query_s")" "%.1fx"; }
  c_hl_conv() { [ "$(g "${1}_hledger_end")" = skipped ] && echo "-" || echo "$(g "${1}_hledger_convert_s") s"; }
  c_hl() { case $(g "${1}_hledger_end") in ok) echo "$(g "${1}_hledger_s") s" ;; *) g "${1}_hledger_end" ;; esac; }
  c_hl_mb() { [ "$(g "${1}_hledger_end")" = ok ] && echo "$(mb "$(g "${1}_hledger_rss_kb")") MB" || echo "-"; }
  c_net() { echo "$(g "${1}_sqlite_net")/$(g "${1}_pg_net")/$(g "${1}_duckdb_actual_total")/$(g "${1}_hledger_net")" | sed 's/n\/a$/-/'; }
  c_wc() { echo "$(g "${1}_read_s") s"; }
  c_sha() { echo "$(g "${1}_sha256_s") s"; }
  c_val() { echo "$(g "${1}_validate_only_s") s"; }
  c_st_sq() { g "${1}_store_sqlite_says" | sed -n 's/.* = \([0-9]*\) rows\/s.*/\1/p' | head -1; }
  c_st_pg() { g "${1}_store_pg_says" | sed -n 's/.* = \([0-9]*\) rows\/s.*/\1/p' | head -1; }
  cost() { local v; v=$(g "${1}_stages_says" | sed -n "s/.*cost.* $2=\([-0-9.]*\).*/\1/p"); echo "${v:-n/a} s"; }
  c_c_file() { cost "$1" file_hash_s; }
  c_c_file_alone() { cost "$1" file_hash_alone_s; }
  c_c_read() { cost "$1" read_s; }
  c_c_parse() { cost "$1" parse_s; }
  c_c_map() { cost "$1" lookup_hashmap_s; }
  c_c_lin() { cost "$1" lookup_linear_s; }
  c_c_thread() { cost "$1" reading_thread_s; }
  c_c_row() { cost "$1" row_hash_s; }
  # A variant's figure: its time less the parse-only pass (its writing), and the file size.
  vfield() { g "${1}_sqlite_variants_says" | tr ';' '\n' | grep "^variant=$2 " | tr ' ' '\n' | sed -n "s/^$3=//p"; }
  variant() {
    local secs base bytes ckpt
    secs=$(vfield "$1" "$2" secs) base=$(vfield "$1" parse-only secs) bytes=$(vfield "$1" "$2" bytes) ckpt=$(vfield "$1" "$2" checkpoint_secs)
    [ -n "$secs" ] || { echo n/a; return; }
    awk -v s="$secs" -v b="$base" -v m="$bytes" -v c="$ckpt" 'BEGIN {
      printf "%.2f s%s (%.0f MB)\n", s - b, (c == "" ? "" : sprintf(" +%.2f", c)), m / 1e6 }'
  }
  c_v_parse() { echo "$(vfield "$1" parse-only secs) s"; }
  c_v_store() { variant "$1" store; }
  c_v_now() { variant "$1" store-now; }
  c_v_16k() { variant "$1" page-16k; }
  c_v_rb() { variant "$1" rollback; }
  c_v_compact() { variant "$1" compact; }
  c_v_deferred() { variant "$1" deferred; }
  c_v_combo() { variant "$1" combo; }
  c_sq_all() { g "${1}_sqlite_import_all_s"; }
  c_pg_all() { g "${1}_pg_import_all_s"; }
  c_sq_oth() { g "${1}_sqlite_import_others_pct_all"; }
  row "generate the extract (not timed in import)" c_gen
  row "extract size" c_csv
  row "SQLite import: wall (median)" c_sq_s
  row "SQLite import: each run, s" c_sq_all
  row "SQLite import: others' CPU % in each run" c_sq_oth
  row "SQLite import: lines/s" c_sq_rate
  row "SQLite import: peak RSS" c_sq_mb
  row "SQLite report (process, median)" c_sq_rep
  row "SQLite report with no ledger (median)" c_sq_rep0
  row "SQLite actuals query alone (median)" c_sq_q
  row "PostgreSQL import: wall (median)" c_pg_s
  row "PostgreSQL import: each run, s" c_pg_all
  row "PostgreSQL import: lines/s" c_pg_rate
  row "PostgreSQL import: pooled peak RSS" c_pg_mb
  row "PostgreSQL import: server process RSS" c_pg_srv
  row "PostgreSQL report (process, median)" c_pg_rep
  row "PostgreSQL actuals query alone (median)" c_pg_q
  row "DuckDB load" c_dk_load
  row "DuckDB query" c_dk_query
  row "DuckDB load + query" c_dk_sum
  row "DuckDB whole process (with Python)" c_dk_proc
  row "DuckDB peak RSS" c_dk_mb
  row "DuckDB load + query, 1 thread" c_dk1_sum
  row "pooled SQLite import / DuckDB load+query" c_ratio
  row "pooled PG import / DuckDB load+query" c_ratio_pg
  row "hledger: CSV -> journal (not timed)" c_hl_conv
  row "hledger balance --budget -M" c_hl
  row "hledger peak RSS" c_hl_mb
  if [ -z "${SKIP_BREAKDOWN:-}" ]; then
    row "breakdown: wc -l the extract" c_wc
    row "breakdown: sha256sum the extract" c_sha
    row "breakdown: pooled import, nothing written" c_val
    row "breakdown: store alone, SQLite, rows/s" c_st_sq
    row "breakdown: store alone, PG, rows/s" c_st_pg
    row "stages: file SHA-256, as a pass of its own" c_c_file_alone
    row "stages: file SHA-256, taken while reading" c_c_file
    row "stages: CSV records (TableReader)" c_c_read
    row "stages: + parse rows (RowReader)" c_c_parse
    row "stages: + cost centre by HashMap" c_c_map
    row "stages: (by linear search instead)" c_c_lin
    row "stages: reading thread in all" c_c_thread
    row "stages: row SHA-256 and tally (reading thread)" c_c_row
    row "SQLite writes: parse-only pass" c_v_parse
    row "SQLite writes: as the store was" c_v_store
    row "SQLite writes: as the store now (+ckpt)" c_v_now
    row "SQLite writes: 16 KiB pages" c_v_16k
    row "SQLite writes: rollback journal, no WAL" c_v_rb
    row "SQLite writes: dictionary columns" c_v_compact
    row "SQLite writes: checkpoint deferred (+it)" c_v_deferred
    row "SQLite writes: 16K+dict+deferred (+ckpt)" c_v_combo
  fi
  echo
  echo "net totals (pooled SQLite / pooled PG / DuckDB / hledger):"
  for N in "${SIZES[@]}"; do echo "  $N rows: $(c_net "n$N")"; done
  grep '^# ' "$RESULTS" || true
} | tee -a "$RESULTS.table"
{
  echo
  echo "# the table"
  sed '/^# /!s/^/# /' "$RESULTS.table"
} >>"$RESULTS"
rm -f "$RESULTS.table"
echo "raw figures: $RESULTS" >&2
