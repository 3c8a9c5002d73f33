#!/usr/bin/env bash
# The benchmark of issue 10 ("scale across areas"): many agreements for one year in one
# PostgreSQL database, each with a large ledger extract, loaded through `pooled`; then
# how long each import took as the database grew, one agreement's monthly report (the
# command and the web API) and an ICB's consolidated view over its places' agreements,
# each against the same with one agreement in a database of its own.
#
# usage: bash bench/areas.sh [AGREEMENTS [ROWS]]      (default: 50 1000000)
#
# Environment (all optional; the arguments win):
#   AGREEMENTS=50            agreements, area-01 to area-50, all for 2016-17
#   ROWS=1000000             ledger lines imported into each agreement
#   PLACES_PER_ICB=5         agreements that share one NHS partner (ICB01 holds the NHS
#                            partner's place in area-01..area-05, ICB02 in area-06..10, ...)
#   FEW=5                    how many of the first and of the last imports are compared,
#                            and how many paired imports are made at the end
#   REPORT_RUNS=20           runs of each report measured; the median is reported
#   BENCH_DIR=/tmp/pooled-areas   scratch directory (two extracts: about 86 bytes a line)
#   PG_URL=postgres://postgres@127.0.0.1:5432   server; the databases pooled_bench_areas,
#                            pooled_bench_areas_one and pooled_bench_areas_fresh are
#                            dropped and made again, and dropped at the end
#   KEEP_DB=1                keep them at the end (to look at them with psql)
#   QUIET_WAIT=300           seconds to wait for an idle CPU before each measurement
#   POOLED_BIN=PATH          measure this pooled binary instead of building one
#   RESULTS=FILE             where the raw figures go (bench/areas-results-YYYY-MM-DD.txt)
#
# Each agreement is examples/oxfordshire-2016-17.toml with its own `[agreement] id` and
# its NHS partner renamed to its ICB; its plan comes from `pooled gen-plan` on that file.
# One council (OCC) extract of ROWS lines for 2016-05 is generated once and imported into
# every agreement: imports are keyed by agreement, so the same file is a new import in
# each (and the council's cost centres are the same in every copy of the agreement).
#
# What it measures, in this order:
#  1. each agreement's import into the one database as it grows (the first into an empty
#     database, the last into one holding (AGREEMENTS - 1) x ROWS lines);
#  2. the first agreement alone in a database of its own, as the reference;
#  3. the monthly report (`pooled report --format json`, whole process), in rounds that
#     alternate the databases so that the machine's noise falls on both alike: before
#     and after ANALYZE (the test server runs without autovacuum, so nothing has
#     statistics until then);
#  4. the web API on a warm server (`pooled serve`, an API token): one agreement's report
#     and the first ICB's consolidated view (the `report` and `partner` operations, found
#     in the server's OpenAPI description; recorded as pending when it has no such one);
#  5. the plan and time of every statement of one report at full size (auto_explain);
#  6. FEW paired imports of a second extract (2016-06), alternating: into a fresh
#     database holding one agreement, and into the full one;
#  7. the query that lists the agreements (every command and web request runs it), with
#     AGREEMENTS x 10 years x 5 versions stored.
#
# It installs what it lacks (GNU time, the PostgreSQL client and curl from Debian),
# builds `pooled` in release mode, starts PostgreSQL if it is down, writes every raw figure
# to the results file and prints a table.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
AGREEMENTS=${1:-${AGREEMENTS:-50}}
ROWS=${2:-${ROWS:-1000000}}
PLACES_PER_ICB=${PLACES_PER_ICB:-5}
FEW=${FEW:-5}
REPORT_RUNS=${REPORT_RUNS:-20}
for v in AGREEMENTS ROWS PLACES_PER_ICB FEW REPORT_RUNS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "areas.sh: $v is a positive count, not \`${!v}\`" >&2; exit 2; }
done
((FEW * 2 <= AGREEMENTS)) || FEW=$(((AGREEMENTS + 1) / 2))
WORK=${BENCH_DIR:-/tmp/pooled-areas}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
ALL_DB=pooled_bench_areas
ONE_DB=pooled_bench_areas_one
FRESH_DB=pooled_bench_areas_fresh
EXAMPLE=$ROOT/examples/oxfordshire-2016-17.toml
YEAR=2016-17
MONTH=M2          # May 2016 is month 2 of the financial year
PERIOD=2016-05
PERIOD2=2016-06   # the paired imports' month
PARTNER=OCC
PRESET=unit4
DATE=$(date -u +%Y-%m-%d)
RESULTS=${RESULTS:-$ROOT/bench/areas-results-$DATE.txt}
API_USER=areas-bench

source "$ROOT/bench/common.sh"

[ -x /usr/bin/time ] || apt_install time
command -v psql >/dev/null || apt_install postgresql-client
command -v curl >/dev/null || apt_install curl

mkdir -p "$WORK"
# Two extracts (about 86 bytes a line) and, on the server's disk, about 170 bytes a line of
# table and index (for AGREEMENTS + FEW + 2 imports), with a few GB of write-ahead log.
need_kb=$(((ROWS * 172 + (AGREEMENTS + FEW + 2) * ROWS * 180 + 3000000000) / 1024))
free_kb=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
if ((free_kb < need_kb)); then
  echo "areas.sh: $WORK has $((free_kb / 1024)) MB free, the run needs about $((need_kb / 1024)) MB" >&2
  exit 1
fi

: >"$RESULTS"
build_pooled
start_pg

record_machine
rec agreements "$AGREEMENTS"
rec rows_per_agreement "$ROWS"
rec places_per_icb "$PLACES_PER_ICB"
rec report_runs "$REPORT_RUNS"
rec postgres_version "$(psql_admin -At -c 'SHOW server_version')"
rec postgres_settings "$(pg_settings)"
rec disk_free_kb_start "$free_kb"
rec loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------
# The agreements, their plans and the extracts
# ---------------------------------------------------------------------------------------
width=$((${#AGREEMENTS} < 2 ? 2 : ${#AGREEMENTS}))
area() { printf "area-%0${width}d" "$1"; }
icb() { printf 'ICB%02d' $((($1 - 1) / PLACES_PER_ICB + 1)); }
FIRST=$(area 1)
LAST=$(area "$AGREEMENTS")

log "$AGREEMENTS agreements from $EXAMPLE"
for ((i = 1; i <= AGREEMENTS; i++)); do
  id=$(area "$i") nhs=$(icb "$i")
  sed -E -e "s/^id = \"oxon-s75\"/id = \"$id\"/" \
    -e "s/^name = \"Section 75 Agreement for All Client Groups\"/name = \"Section 75 agreement of $id (benchmark)\"/" \
    -e "s/^name = \"Oxfordshire Clinical Commissioning Group\"/name = \"Integrated Care Board $nhs (benchmark)\"/" \
    -e "s/\\bOCCG\\b/$nhs/g" "$EXAMPLE" >"$WORK/$id.toml"
  grep -q "^id = \"$id\"" "$WORK/$id.toml" || { echo "areas.sh: $EXAMPLE has no [agreement] id to change" >&2; exit 1; }
  "$POOLED" check "$WORK/$id.toml" >"$WORK/$id.check" 2>&1 || { cat "$WORK/$id.check" >&2; exit 1; }
  "$POOLED" gen-plan "$WORK/$id.toml" -o "$WORK/$id-plan.csv" >/dev/null
done
rec plan_cost_centres "$(($(wc -l <"$WORK/$FIRST-plan.csv") - 1))"

log "$PARTNER extracts of $ROWS lines for $PERIOD and $PERIOD2 (not part of any import time)"
LEDGER=$WORK/ledger-$PERIOD.csv
LEDGER2=$WORK/ledger-$PERIOD2.csv
timed gen "$POOLED" gen-ledger --agreement "$WORK/$FIRST.toml" --partner $PARTNER --period $PERIOD \
  --rows "$ROWS" --seed 1 --preset $PRESET -o "$LEDGER"
check_ok gen
timed gen2 "$POOLED" gen-ledger --agreement "$WORK/$FIRST.toml" --partner $PARTNER --period $PERIOD2 \
  --rows "$ROWS" --seed 2 --preset $PRESET -o "$LEDGER2"
check_ok gen2
rec csv_bytes "$(stat -c %s "$LEDGER")"

# ---------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------
ms_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", (b - a) * 1000 }'; }
# The net total `pooled import` prints ("net £1,234.56" -> 1234.56).
pooled_net() { sed -n 's/.*net £\([-0-9,.]*\).*/\1/p' "$1" | tr -d , | tail -1; }
on() { # DATABASE ARGS...: pooled on one of the benchmark's databases
  local db=$1
  shift
  "$POOLED" --database "$PG_URL/$db" "$@"
}
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$PG_URL/$1" -c "$2"; } # DATABASE STATEMENT
drop_dbs() {
  [ -z "${KEEP_DB:-}" ] || return 0
  for db in $ALL_DB $ONE_DB $FRESH_DB; do
    psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  done
}

# setup DATABASE AGREEMENT: the agreement, its plan and the council's mapping, as a pool
# sets up once (not timed).
setup() {
  {
    on "$1" load "$WORK/$2.toml"
    on "$1" load-plan --agreement "$2" --year $YEAR "$WORK/$2-plan.csv"
    on "$1" save-mapping --agreement "$2" --partner $PARTNER --preset $PRESET
  } >"$WORK/$1-$2-setup.out" 2>&1 || { cat "$WORK/$1-$2-setup.out" >&2; exit 1; }
}
checkpoints() { sql "$1" "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"; }
# timed_import KEY DATABASE AGREEMENT PERIOD FILE: one timed import, after a quiet CPU; also its
# lines a second and the server's checkpoints meanwhile.
timed_import() {
  local key=$1 db=$2 c0
  quiet "$key"
  c0=$(checkpoints "$db")
  timed "$key" "$POOLED" --database "$PG_URL/$db" import --agreement "$3" --partner $PARTNER --period "$4" "$5"
  check_ok "$key"
  rec "${key}_lines_per_s" "$(div "$ROWS" "${R[${key}_s]}")"
  rec "${key}_checkpoints" "$(($(checkpoints "$db") - c0))"
  rec "${key}_net" "$(pooled_net "$WORK/$key.out")"
}

# reports KEY: REPORT_RUNS rounds of `pooled report --format json` (each a whole process:
# start, connecting, reading and checking the stored agreement, the queries, the JSON),
# each round the first agreement on its own database, then the first and the last
# agreement on the full one. Medians and every run, in ms.
reports() {
  local key=$1 r t0 one=() first=() last=()
  quiet "$key"
  for ((r = 0; r < REPORT_RUNS; r++)); do
    t0=$(now); on $ONE_DB report --agreement "$FIRST" --year $YEAR --month $MONTH --format json >/dev/null
    one+=("$(ms_since "$t0")")
    t0=$(now); on $ALL_DB report --agreement "$FIRST" --year $YEAR --month $MONTH --format json >/dev/null
    first+=("$(ms_since "$t0")")
    t0=$(now); on $ALL_DB report --agreement "$LAST" --year $YEAR --month $MONTH --format json >/dev/null
    last+=("$(ms_since "$t0")")
  done
  rec "${key}_one_ms" "$(printf '%s\n' "${one[@]}" | median)"
  rec "${key}_first_ms" "$(printf '%s\n' "${first[@]}" | median)"
  rec "${key}_last_ms" "$(printf '%s\n' "${last[@]}" | median)"
  rec "${key}_one_all_ms" "$(IFS=,; echo "${one[*]}")"
  rec "${key}_first_all_ms" "$(IFS=,; echo "${first[*]}")"
  rec "${key}_last_all_ms" "$(IFS=,; echo "${last[*]}")"
}

# The report's heaviest query (its actuals: the per-import, per-cost-centre sums, never
# the ledger lines), as store.rs runs it.
actuals_sql() {
  echo "SELECT a.cost_centre, i.month, CAST(SUM(a.amount) AS BIGINT), CAST(SUM(a.row_count) AS BIGINT)
    FROM ledger_import i JOIN actual a ON a.import_id = i.id
    WHERE i.agreement_id = '$1' AND i.year = 2016 AND i.replaced_by IS NULL
    GROUP BY a.cost_centre, i.month ORDER BY a.cost_centre, i.month"
}
# actuals_query_ms DATABASE AGREEMENT: that query timed on the server (psql's \timing:
# one round trip each), the median in ms.
actuals_query_ms() {
  for ((i = 0; i < REPORT_RUNS; i++)); do printf '%s;\n' "$(actuals_sql "$2")"; done |
    psql -X -q "$PG_URL/$1" -c '\timing on' -f - -o /dev/null | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | median
}

# The web API, on a warm server: `pooled serve` on a free loopback port, an API token.
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
trap 'stop_server; drop_dbs' EXIT
trap 'exit 130' INT TERM
start_server() { # DATABASE
  # The binary itself, not through a function: SERVER_PID must be the server's own.
  "$POOLED" --database "$PG_URL/$1" serve --address 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  PORT=""
  for _ in $(seq 100); do
    PORT=$(sed -n 's#.* at http://127\.0\.0\.1:\([0-9]*\)/.*#\1#p' "$WORK/server.out" | head -1)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; echo "areas.sh: the server stopped" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$PORT" ] || { echo "areas.sh: the server printed no address" >&2; exit 1; }
  BASE=http://127.0.0.1:$PORT
}
get() { # URL OUT: prints "STATUS SECONDS"
  curl -s -o "$2" -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $TOKEN" "$1"
}
# The URL of an API operation, from the server's own OpenAPI description: OPERATION is
# a regular expression matched against operation ids and paths; path parameters are
# filled by their names (a year, an agreement, anything else the body). Prints nothing
# if the API has no such operation.
api_url() { # OPERATION AGREEMENT BODY
  python3 - "$WORK/openapi.json" "$1" "$YEAR" "$2" "$3" "$MONTH" <<'PY'
import json, re, sys
spec, wanted, year, agreement, body, month = sys.argv[1:]
for path, ops in json.load(open(spec))["paths"].items():
    op = ops.get("get")
    if not op or not re.search(wanted, op.get("operationId", "") + " " + path, re.I):
        continue
    def fill(m):
        name = m.group(1).lower()
        return year if "year" in name else agreement if "agreement" in name else body
    url = re.sub(r"\{([^}]*)\}", fill, path)
    params = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"]
    if "month" in params:
        url += "?month=" + month
    if "agreement" in params and "{agreement" not in path.lower():
        url += ("&" if "?" in url else "?") + "agreement=" + agreement
    print(url)
    break
PY
}
# api_runs KEY URL: the first request (it misses the server's cache of the figures), then
# REPORT_RUNS more: each curl's time_total, the median in ms. Records KEY_pending with the
# answer instead if the request does not succeed.
api_runs() {
  local key=$1 url=$2 status secs i times=()
  quiet "$key"
  read -r status secs < <(get "$BASE$url" "$WORK/$key.json")
  rec "${key}_url" "$url"
  if [ "$status" != 200 ]; then
    rec "${key}_pending" "HTTP $status: $(head -c 300 "$WORK/$key.json" | tr '\n' ' ')"
    return 0
  fi
  rec "${key}_bytes" "$(stat -c %s "$WORK/$key.json")"
  rec "${key}_first_ms" "$(awk -v s="$secs" 'BEGIN { printf "%.3f", s * 1000 }')"
  for ((i = 0; i < REPORT_RUNS; i++)); do
    read -r status secs < <(get "$BASE$url" /dev/null)
    [ "$status" = 200 ] || { echo "areas.sh: $url answered $status" >&2; exit 1; }
    times+=("$(awk -v s="$secs" 'BEGIN { printf "%.3f", s * 1000 }')")
  done
  rec "${key}_ms" "$(printf '%s\n' "${times[@]}" | median)"
  rec "${key}_all_ms" "$(IFS=,; echo "${times[*]}")"
}
# api_phase KEY DATABASE: a server on the database, the first agreement's report and the
# first ICB's consolidated view through the API, then the server stopped.
api_phase() {
  local key=$1 db=$2 url
  printf '%s\n' "areas-bench-password-2026" | on "$db" user add $API_USER --role viewer --name "areas benchmark" >/dev/null
  TOKEN=$(on "$db" token create $API_USER --name "areas benchmark" 2>/dev/null)
  start_server "$db"
  curl -s -o "$WORK/openapi.json" -H "Authorization: Bearer $TOKEN" "$BASE/api/openapi.json"
  url=$(api_url '^report ' "$FIRST" "$(icb 1)")
  if [ -n "$url" ]; then
    api_runs "${key}_report" "$url"
  else
    rec "${key}_report_pending" "the API describes no report operation"
  fi
  url=$(api_url '^partner |/partners/|consolidated' "$FIRST" "$(icb 1)")
  if [ -n "$url" ]; then
    api_runs "${key}_consolidated" "$url"
    [ -n "${R[${key}_consolidated_pending]:-}" ] ||
      rec "${key}_consolidated_agreements" "$(python3 -c 'import json, sys; print(",".join(a["id"] for a in json.load(open(sys.argv[1]))["agreements"]))' "$WORK/${key}_consolidated.json")"
  else
    rec "${key}_consolidated_pending" "the API describes no consolidated view (no operation \`partner\`, no path with \`/partners/\` or \`consolidated\`)"
  fi
  rec "${key}_server_rss_kb" "$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$SERVER_PID/status")"
  stop_server
}

# ---------------------------------------------------------------------------------------
# 1. Loading the agreements one after the other, each import timed
# ---------------------------------------------------------------------------------------
fresh_pg_db $ALL_DB
for ((i = 1; i <= AGREEMENTS; i++)); do
  id=$(area "$i")
  log "agreement $i of $AGREEMENTS: $id"
  setup $ALL_DB "$id"
  timed_import "import_$i" $ALL_DB "$id" $PERIOD "$LEDGER"
  [ "${R[import_${i}_net]}" = "${R[import_1_net]}" ] || { echo "areas.sh: import $i nets ${R[import_${i}_net]}, not ${R[import_1_net]}" >&2; exit 1; }
  rec "db_bytes_after_$i" "$(psql_admin -At -c "SELECT pg_database_size('$ALL_DB')")"
done
rec ledger_rows "$(sql $ALL_DB 'SELECT SUM(row_count) FROM ledger_import WHERE replaced_by IS NULL')"
rec imports "$(sql $ALL_DB 'SELECT COUNT(*) FROM ledger_import')"
rec actual_rows "$(sql $ALL_DB 'SELECT COUNT(*) FROM actual')"
rec table_bytes "$(sql $ALL_DB "SELECT string_agg(c.relname || '=' || pg_total_relation_size(c.oid), ' ' ORDER BY c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind = 'r' AND pg_total_relation_size(c.oid) > 1000000")"
rec db_bytes "$(psql_admin -At -c "SELECT pg_database_size('$ALL_DB')")"

# ---------------------------------------------------------------------------------------
# 2. The first agreement alone, for reference
# ---------------------------------------------------------------------------------------
log "$FIRST alone in $ONE_DB"
fresh_pg_db $ONE_DB
setup $ONE_DB "$FIRST"
on $ONE_DB import --agreement "$FIRST" --partner $PARTNER --period $PERIOD "$LEDGER" >"$WORK/one-import.out" 2>&1

# ---------------------------------------------------------------------------------------
# 3. Reports, before and after ANALYZE
# ---------------------------------------------------------------------------------------
log "reports"
reports report_no_stats
for db in $ONE_DB $ALL_DB; do
  t0=$(now)
  sql $db ANALYZE
  rec "analyze_${db}_ms" "$(ms_since "$t0")"
done
reports report
rec actuals_query_one_ms "$(actuals_query_ms $ONE_DB "$FIRST")"
rec actuals_query_first_ms "$(actuals_query_ms $ALL_DB "$FIRST")"
rec actuals_query_last_ms "$(actuals_query_ms $ALL_DB "$LAST")"

# ---------------------------------------------------------------------------------------
# 4. The web API
# ---------------------------------------------------------------------------------------
log "the API"
api_phase api_one $ONE_DB
api_phase api_all $ALL_DB

# ---------------------------------------------------------------------------------------
# 5. Every statement of one report at full size, from auto_explain
# ---------------------------------------------------------------------------------------
log "the report's queries at full size (auto_explain)"
PG_LOG=$(ls /var/log/postgresql/postgresql-*-main.log 2>/dev/null | head -1 || true)
if [ -n "$PG_LOG" ] && [ -r "$PG_LOG" ]; then
  from=$(($(stat -c %s "$PG_LOG") + 1))
  psql_admin -c "ALTER DATABASE $ALL_DB SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER DATABASE $ALL_DB SET auto_explain.log_min_duration = 0" \
    -c "ALTER DATABASE $ALL_DB SET auto_explain.log_analyze = on" \
    -c "ALTER DATABASE $ALL_DB SET auto_explain.log_buffers = on"
  on $ALL_DB report --agreement "$LAST" --year $YEAR --month $MONTH --format json >/dev/null
  psql_admin -c "ALTER DATABASE $ALL_DB RESET ALL"
  sleep 1
  # Entries begin with a time stamp; keep this database's, with their plan lines.
  tail -c "+$from" "$PG_LOG" | awk -v db="@$ALL_DB " '/^[0-9]{4}-[0-9]{2}-[0-9]{2} / { keep = index($0, db) > 0 } keep' \
    >"$WORK/explain.log"
  rec report_statements "$(grep -c 'duration: .* plan:' "$WORK/explain.log" || true)"
  rec report_statements_ms "$(sed -n 's/.*duration: \([0-9.]*\) ms  plan:.*/\1/p' "$WORK/explain.log" | awk '{ s += $1 } END { printf "%.3f", s }')"
  {
    echo "# auto_explain: every statement of one \`pooled report --agreement $LAST\` with $AGREEMENTS agreements loaded, after ANALYZE"
    sed 's/^/# | /' "$WORK/explain.log"
  } >>"$RESULTS"
else
  note "the server's log is not readable here: no auto_explain plans"
fi
{
  echo "# EXPLAIN (ANALYZE, BUFFERS) of the actuals query for $LAST, $AGREEMENTS agreements loaded, after ANALYZE"
  psql -X -q "$PG_URL/$ALL_DB" -c "EXPLAIN (ANALYZE, BUFFERS) $(actuals_sql "$LAST")" | sed 's/^/# | /'
} >>"$RESULTS"

# ---------------------------------------------------------------------------------------
# 6. Paired imports: one agreement alone against the full database, alternating
# ---------------------------------------------------------------------------------------
for ((k = 1; k <= FEW; k++)); do
  log "paired imports, $k of $FEW"
  fresh_pg_db $FRESH_DB
  setup $FRESH_DB "$FIRST"
  timed_import "paired_one_$k" $FRESH_DB "$FIRST" $PERIOD2 "$LEDGER2"
  timed_import "paired_all_$k" $ALL_DB "$(area "$k")" $PERIOD2 "$LEDGER2"
done

# ---------------------------------------------------------------------------------------
# 7. The list of agreements, which every command and web request reads to find the one it
#    names, with AGREEMENTS agreements x 10 years x 5 versions: copies of the first
#    agreement's stored version (written straight into the one-agreement database, which
#    is dropped after).
# ---------------------------------------------------------------------------------------
log "the list of agreements with 10 years of 5 versions each"
agreements_sql="SELECT a.agreement_id, a.year, a.version, a.loaded_at FROM agreement a
  WHERE a.version = (SELECT MAX(version) FROM agreement m WHERE m.agreement_id = a.agreement_id AND m.year = a.year)
  ORDER BY a.agreement_id, a.year"
agreements_list_ms() { # the query timed on the server, the median in ms
  for ((i = 0; i < REPORT_RUNS; i++)); do printf '%s;\n' "$agreements_sql"; done |
    psql -X -q "$PG_URL/$ONE_DB" -c '\timing on' -f - -o /dev/null | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | median
}
rec agreements_list_1_ms "$(agreements_list_ms)"
sql $ONE_DB "INSERT INTO agreement (agreement_id, year, version, toml, loaded_at, loaded_by, changes)
  SELECT 'versions-' || n, year - y, v, toml, loaded_at, loaded_by, changes
  FROM agreement, generate_series(1, $AGREEMENTS) n, generate_series(0, 9) y, generate_series(1, 5) v"
sql $ONE_DB ANALYZE
rec agreements_list_versions "$(sql $ONE_DB 'SELECT COUNT(*) FROM agreement')"
rec agreements_list_ms "$(agreements_list_ms)"
{
  echo "# EXPLAIN ANALYZE of the list of agreements with ${R[agreements_list_versions]} stored versions"
  psql -X -q "$PG_URL/$ONE_DB" -c "EXPLAIN (ANALYZE, BUFFERS) $agreements_sql" | sed 's/^/# | /'
} >>"$RESULTS"
rec loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
drop_dbs
[ -n "${KEEP_DB:-}" ] || rec databases_dropped yes
rm -f "$LEDGER" "$LEDGER2"

# ---------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------
series() { # PREFIX FROM TO FIELD: each import's FIELD, one a line
  for ((i = $2; i <= $3; i++)); do echo "${R[${1}_${i}_$4]}"; done
}
rec first_imports_median_s "$(series import 1 "$FEW" s | median)"
rec last_imports_median_s "$(series import $((AGREEMENTS - FEW + 1)) "$AGREEMENTS" s | median)"
rec paired_one_median_s "$(series paired_one 1 "$FEW" s | median)"
rec paired_all_median_s "$(series paired_all 1 "$FEW" s | median)"
for f in s idle_pct_before others_pct checkpoints; do
  rec "all_imports_$f" "$(series import 1 "$AGREEMENTS" $f | paste -sd,)"
  rec "paired_one_$f" "$(series paired_one 1 "$FEW" $f | paste -sd,)"
  rec "paired_all_$f" "$(series paired_all 1 "$FEW" $f | paste -sd,)"
done
api() { # KEY: a figure of api_runs, or why there is none
  if [ -n "${R[${1}_pending]:-}" ]; then echo "pending"; else echo "$(g "${1}_ms") ms (first $(g "${1}_first_ms"))"; fi
}
lps() { div "$ROWS" "$1"; }
{
  echo
  echo "pooled across areas, $(g date), $(g cpu), $(g cores) cores, commit $(g pooled_commit)"
  echo "$AGREEMENTS agreements for $YEAR in one PostgreSQL database, $ROWS $PARTNER lines for $PERIOD imported into each;"
  echo "reports: $MONTH, JSON, median of $REPORT_RUNS; $LAST's report at the end in brackets"
  echo
  row() { printf '%-50s %22s %26s\n' "$@"; }
  row "" "1 agreement" "$AGREEMENTS agreements"
  row "import: agreement 1 into an empty database," "$(g import_1_s) s" "$(g "import_${AGREEMENTS}_s") s"
  row "  agreement $AGREEMENTS into the full one" "$(g import_1_lines_per_s) lines/s" "$(g "import_${AGREEMENTS}_lines_per_s") lines/s"
  row "import: median of the first and the last $FEW" "$(g first_imports_median_s) s" "$(g last_imports_median_s) s"
  row "  lines/s" "$(lps "$(g first_imports_median_s)")" "$(lps "$(g last_imports_median_s)")"
  row "paired imports of $PERIOD2, alternating (median)" "$(g paired_one_median_s) s" "$(g paired_all_median_s) s"
  row "  lines/s" "$(lps "$(g paired_one_median_s)")" "$(lps "$(g paired_all_median_s)")"
  row "pooled report, process, no statistics" "$(g report_no_stats_one_ms) ms" "$(g report_no_stats_first_ms) ($(g report_no_stats_last_ms)) ms"
  row "pooled report, process, after ANALYZE" "$(g report_one_ms) ms" "$(g report_first_ms) ($(g report_last_ms)) ms"
  row "actuals query on the server (psql)" "$(g actuals_query_one_ms) ms" "$(g actuals_query_first_ms) ($(g actuals_query_last_ms)) ms"
  row "API report, warm server" "$(api api_one_report)" "$(api api_all_report)"
  row "API consolidated view of $(icb 1)" "$(api api_one_consolidated)" "$(api api_all_consolidated)"
  echo
  echo "every import (s): $(g all_imports_s)"
  echo "CPU idle before each (%): $(g all_imports_idle_pct_before)"
  echo "others' CPU during each (%, the server's work among it): $(g all_imports_others_pct)"
  echo "server checkpoints during each: $(g all_imports_checkpoints)"
  echo "paired imports (s), one agreement: $(g paired_one_s); $AGREEMENTS agreements: $(g paired_all_s)"
  echo "database: $(g ledger_rows) ledger lines, $(g imports) imports, $(g actual_rows) actual rows, $(awk -v b="$(g db_bytes)" 'BEGIN { printf "%.1f GB", b / 1e9 }')"
  echo "every statement of one report on the server: $(g report_statements) statements, $(g report_statements_ms) ms in all"
  echo "the list of agreements on the server: $(g agreements_list_1_ms) ms with 1 stored, $(g agreements_list_ms) ms with $(g agreements_list_versions)"
  for k in api_one_report api_all_report api_one_consolidated api_all_consolidated; do
    [ -z "${R[${k}_pending]:-}" ] || echo "$k pending: ${R[${k}_pending]}"
  done
  grep '^# [^|]' "$RESULTS" | grep -v '^# auto_explain\|^# EXPLAIN' || true
} | tee "$RESULTS.table"
{
  echo
  echo "# the table"
  sed 's/^/# /' "$RESULTS.table"
} >>"$RESULTS"
rm -f "$RESULTS.table"
echo "raw figures: $RESULTS" >&2
