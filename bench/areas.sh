#!/usr/bin/env bash
# The benchmark of issue 10 ("scale across areas"): many agreements for one year in one
# PostgreSQL database, each with a large ledger extract, loaded through `pooled`; then
# how long each import took as the database grew, one agreement's monthly report (the
# command and the web API) and an ICB's consolidated view over its places' agreements.
#
# usage: bash bench/areas.sh [AGREEMENTS [ROWS]]      (default: 50 1000000)
#
# Environment (all optional; the arguments win):
#   AGREEMENTS=50            agreements, area-01 to area-50, all for 2016-17
#   ROWS=1000000             ledger lines imported into each agreement
#   PLACES_PER_ICB=5         agreements that share one NHS partner (ICB01 holds the NHS
#                            partner's place in area-01..area-05, ICB02 in area-06..10, ...)
#   FEW=5                    how many of the first and of the last imports are compared
#   REPORT_RUNS=20           runs of each report measured; the median is reported
#   BENCH_DIR=/tmp/pooled-areas   scratch directory (the extract: about 86 bytes a line)
#   PG_URL=postgres://postgres@127.0.0.1:5432   server; the database pooled_bench_areas
#                            is dropped and made again, and dropped at the end
#   KEEP_DB=1                keep the database at the end (to look at it with psql)
#   QUIET_WAIT=300           seconds to wait for an idle CPU before each measurement
#   RESULTS=FILE             where the raw figures go (bench/areas-results-YYYY-MM-DD.txt)
#
# Each agreement is examples/oxfordshire-2016-17.toml with its own `[agreement] id` and
# its NHS partner renamed to its ICB; its plan comes from `pooled gen-plan` on that file.
# One council (OCC) extract of ROWS lines for 2016-05 is generated once and imported into
# every agreement: imports are keyed by agreement, so the same file is a new import in
# each (and the council's cost centres are the same in every copy of the agreement).
#
# It installs what it lacks (GNU time, the PostgreSQL client and curl from Debian),
# builds `pooled` in release mode, starts PostgreSQL if it is down, writes every raw figure
# to the results file and prints a table. The query plans of one report at full size come
# from PostgreSQL's auto_explain, read from the server's log.
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
PG_DB=pooled_bench_areas
DB=$PG_URL/$PG_DB
EXAMPLE=$ROOT/examples/oxfordshire-2016-17.toml
YEAR=2016-17
MONTH=M2          # May 2016 is month 2 of the financial year
PERIOD=2016-05
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
# The extract (about 86 bytes a line) and, on the server's disk, about 180 bytes a line of
# table and index, with a few GB of write-ahead log besides.
need_kb=$(((ROWS * 86 + AGREEMENTS * ROWS * 180 + 3000000000) / 1024))
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
# The agreements, their plans and the one extract
# ---------------------------------------------------------------------------------------
width=$((${#AGREEMENTS} < 2 ? 2 : ${#AGREEMENTS}))
area() { printf "area-%0${width}d" "$1"; }
icb() { printf 'ICB%02d' $((($1 - 1) / PLACES_PER_ICB + 1)); }

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
rec plan_cost_centres "$(($(wc -l <"$WORK/$(area 1)-plan.csv") - 1))"

LEDGER=$WORK/ledger-$ROWS.csv
log "one $PARTNER extract of $ROWS lines for $PERIOD (not part of any import time)"
timed gen "$POOLED" gen-ledger --agreement "$WORK/$(area 1).toml" --partner $PARTNER --period $PERIOD \
  --rows "$ROWS" --seed 1 --preset $PRESET -o "$LEDGER"
check_ok gen
rec csv_bytes "$(stat -c %s "$LEDGER")"

# ---------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------
ms_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", (b - a) * 1000 }'; }
# The net total `pooled import` prints ("net £1,234.56" -> 1234.56).
pooled_net() { sed -n 's/.*net £\([-0-9,.]*\).*/\1/p' "$1" | tr -d , | tail -1; }
p() { "$POOLED" --database "$DB" "$@"; }

# report_runs KEY AGREEMENT: `pooled report --format json` REPORT_RUNS times, each a whole
# process (start, connecting, reading and checking the stored agreement, the queries,
# the JSON): the median and every run in ms.
report_runs() {
  local key=$1 agreement=$2 i t0 times=()
  quiet "$key"
  for ((i = 0; i < REPORT_RUNS; i++)); do
    t0=$(now)
    p report --agreement "$agreement" --year $YEAR --month $MONTH --format json -o /dev/null >/dev/null
    times+=("$(ms_since "$t0")")
  done
  rec "${key}_ms" "$(printf '%s\n' "${times[@]}" | median)"
  rec "${key}_all_ms" "$(IFS=,; echo "${times[*]}")"
}

# The report's heaviest query (its actuals: the per-import, per-cost-centre sums, never
# the ledger lines), as store.rs runs it, timed on the server by psql: median in ms.
actuals_sql() {
  echo "SELECT a.cost_centre, i.month, CAST(SUM(a.amount) AS BIGINT), CAST(SUM(a.row_count) AS BIGINT)
    FROM ledger_import i JOIN actual a ON a.import_id = i.id
    WHERE i.agreement_id = '$1' AND i.year = 2016 AND i.replaced_by IS NULL
    GROUP BY a.cost_centre, i.month ORDER BY a.cost_centre, i.month"
}
actuals_query_ms() { # AGREEMENT
  for ((i = 0; i < REPORT_RUNS; i++)); do printf '%s;\n' "$(actuals_sql "$1")"; done |
    psql -X -q "$DB" -c '\timing on' -f - -o /dev/null | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | median
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
drop_db() { [ -n "${KEEP_DB:-}" ] || psql_admin -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"; }
trap 'stop_server; drop_db' EXIT
trap 'exit 130' INT TERM
TOKEN=""
api_token() {
  [ -n "$TOKEN" ] && return 0
  printf '%s\n' "areas-bench-password-2026" | p user add $API_USER --role viewer --name "areas benchmark" >/dev/null
  TOKEN=$(p token create $API_USER --name "areas benchmark" 2>/dev/null)
}
start_server() {
  # The binary itself, not through `p`: SERVER_PID must be the server's own.
  "$POOLED" --database "$DB" serve --address 127.0.0.1:0 >"$WORK/server.out" 2>"$WORK/server.err" &
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
# api_phase PREFIX: a server on the database as it is, one agreement's report and the
# first ICB's consolidated view through the API, then the server stopped.
api_phase() {
  local prefix=$1 url
  api_token
  start_server
  curl -s -o "$WORK/openapi.json" -H "Authorization: Bearer $TOKEN" "$BASE/api/openapi.json"
  url=$(api_url '^report ' "$(area 1)" "$(icb 1)")
  if [ -n "$url" ]; then
    api_runs "${prefix}_api_report" "$url"
  else
    rec "${prefix}_api_report_pending" "the API describes no report operation"
  fi
  url=$(api_url 'consolidated' "$(area 1)" "$(icb 1)")
  if [ -n "$url" ]; then
    api_runs "${prefix}_api_consolidated" "$url"
  else
    rec "${prefix}_api_consolidated_pending" "the API describes no consolidated view (no operation or path matching \`consolidated\`)"
  fi
  rec "${prefix}_server_rss_kb" "$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$SERVER_PID/status")"
  stop_server
}

checkpoints() { psql -X -At "$DB" -c "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"; }

# ---------------------------------------------------------------------------------------
# Loading the agreements one after the other, each import timed
# ---------------------------------------------------------------------------------------
fresh_pg_db $PG_DB
for ((i = 1; i <= AGREEMENTS; i++)); do
  id=$(area "$i")
  log "agreement $i of $AGREEMENTS: $id"
  {
    p load "$WORK/$id.toml"
    p load-plan --agreement "$id" --year $YEAR "$WORK/$id-plan.csv"
    p save-mapping --agreement "$id" --partner $PARTNER --preset $PRESET
  } >"$WORK/$id-setup.out" 2>&1 || { cat "$WORK/$id-setup.out" >&2; exit 1; }
  quiet "import_$i"
  c0=$(checkpoints)
  timed "import_$i" "$POOLED" --database "$DB" import --agreement "$id" --partner $PARTNER --period $PERIOD "$LEDGER"
  check_ok "import_$i"
  rec "import_${i}_lines_per_s" "$(div "$ROWS" "${R[import_${i}_s]}")"
  rec "import_${i}_checkpoints" "$(($(checkpoints) - c0))"
  rec "import_${i}_net" "$(pooled_net "$WORK/import_$i.out")"
  [ "${R[import_${i}_net]}" = "${R[import_1_net]}" ] || { echo "areas.sh: import $i nets ${R[import_${i}_net]}, not ${R[import_1_net]}" >&2; exit 1; }
  rec "db_bytes_after_$i" "$(psql_admin -At -c "SELECT pg_database_size('$PG_DB')")"
  if ((i == 1)); then
    # The same measurements with one agreement in the database, to compare with the end.
    report_runs one_report "$id"
    rec one_actuals_query_ms "$(actuals_query_ms "$id")"
    api_phase one
  fi
done

# ---------------------------------------------------------------------------------------
# With every agreement loaded
# ---------------------------------------------------------------------------------------
rec ledger_rows "$(psql -X -At "$DB" -c 'SELECT SUM(row_count) FROM ledger_import WHERE replaced_by IS NULL')"
rec imports "$(psql -X -At "$DB" -c 'SELECT COUNT(*) FROM ledger_import')"
rec actual_rows "$(psql -X -At "$DB" -c 'SELECT COUNT(*) FROM actual')"
rec table_bytes "$(psql -X -At "$DB" -c "SELECT string_agg(c.relname || '=' || pg_total_relation_size(c.oid), ' ' ORDER BY c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind = 'r' AND pg_total_relation_size(c.oid) > 1000000")"
rec table_stats "$(psql -X -At "$DB" -c "SELECT string_agg(relname || ':analyzed=' || (COALESCE(last_analyze, last_autoanalyze) IS NOT NULL), ' ' ORDER BY relname)
  FROM pg_stat_user_tables WHERE relname IN ('ledger_import', 'actual', 'ledger_row', 'cost_centre', 'agreement')")"

last=$(area "$AGREEMENTS")
report_runs all_report_first "$(area 1)"
report_runs all_report_last "$last"
rec all_actuals_query_ms "$(actuals_query_ms "$(area 1)")"
rec all_actuals_query_last_ms "$(actuals_query_ms "$last")"
api_phase all

# Every statement one report runs, with its plan and timing, from auto_explain.
log "the report's queries at full size (auto_explain)"
PG_LOG=$(ls /var/log/postgresql/postgresql-*-main.log 2>/dev/null | head -1 || true)
if [ -n "$PG_LOG" ] && [ -r "$PG_LOG" ]; then
  from=$(($(stat -c %s "$PG_LOG") + 1))
  psql_admin -c "ALTER DATABASE $PG_DB SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER DATABASE $PG_DB SET auto_explain.log_min_duration = 0" \
    -c "ALTER DATABASE $PG_DB SET auto_explain.log_analyze = on" \
    -c "ALTER DATABASE $PG_DB SET auto_explain.log_buffers = on"
  p report --agreement "$last" --year $YEAR --month $MONTH --format json -o /dev/null >/dev/null
  psql_admin -c "ALTER DATABASE $PG_DB RESET ALL"
  sleep 1
  # Entries begin with a time stamp; keep this database's, with their plan lines.
  tail -c "+$from" "$PG_LOG" | awk -v db="@$PG_DB " '/^[0-9]{4}-[0-9]{2}-[0-9]{2} / { keep = index($0, db) > 0 } keep' \
    >"$WORK/explain.log"
  rec report_statements "$(grep -c 'duration: .* plan:' "$WORK/explain.log" || true)"
  rec report_statements_ms "$(sed -n 's/.*duration: \([0-9.]*\) ms  plan:.*/\1/p' "$WORK/explain.log" | awk '{ s += $1 } END { printf "%.3f", s }')"
  {
    echo "# auto_explain: every statement of one \`pooled report --agreement $last\` with $AGREEMENTS agreements loaded"
    sed 's/^/# | /' "$WORK/explain.log"
  } >>"$RESULTS"
else
  note "the server's log is not readable here: no auto_explain plans"
fi
{
  echo "# EXPLAIN (ANALYZE, BUFFERS) of the actuals query for $last, $AGREEMENTS agreements loaded"
  psql -X -q "$DB" -c "EXPLAIN (ANALYZE, BUFFERS) $(actuals_sql "$last")" | sed 's/^/# | /'
} >>"$RESULTS"
rec loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
rec db_bytes "$(psql_admin -At -c "SELECT pg_database_size('$PG_DB')")"
drop_db
[ -n "${KEEP_DB:-}" ] || rec db_dropped yes
rm -f "$LEDGER"

# ---------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------
series() { for ((i = $1; i <= $2; i++)); do echo "${R[import_${i}_$3]}"; done; }
rec first_imports_median_s "$(series 1 "$FEW" s | median)"
rec last_imports_median_s "$(series $((AGREEMENTS - FEW + 1)) "$AGREEMENTS" s | median)"
rec all_imports_s "$(series 1 "$AGREEMENTS" s | paste -sd,)"
rec all_imports_idle_pct_before "$(series 1 "$AGREEMENTS" idle_pct_before | paste -sd,)"
rec all_imports_others_pct "$(series 1 "$AGREEMENTS" others_pct | paste -sd,)"
rec all_imports_checkpoints "$(series 1 "$AGREEMENTS" checkpoints | paste -sd,)"
api() { # KEY: a figure of api_runs, or why there is none
  if [ -n "${R[${1}_pending]:-}" ]; then echo "pending"; else echo "$(g "${1}_ms") ms (first $(g "${1}_first_ms") ms)"; fi
}
{
  echo
  echo "pooled across areas, $(g date), $(g cpu), $(g cores) cores, commit $(g pooled_commit)"
  echo "$AGREEMENTS agreements for $YEAR in one PostgreSQL database, $ROWS $PARTNER lines for $PERIOD imported into each;"
  echo "reports: $MONTH, JSON, median of $REPORT_RUNS"
  echo
  printf '%-52s %20s %20s\n' "" "1 agreement loaded" "$AGREEMENTS loaded"
  printf '%-52s %20s %20s\n' "import (agreement 1, agreement $AGREEMENTS)" "$(g import_1_s) s" "$(g "import_${AGREEMENTS}_s") s"
  printf '%-52s %20s %20s\n' "import, median of the first and the last $FEW" "$(g first_imports_median_s) s" "$(g last_imports_median_s) s"
  printf '%-52s %20s %20s\n' "lines/s (agreement 1, agreement $AGREEMENTS)" "$(g import_1_lines_per_s)" "$(g "import_${AGREEMENTS}_lines_per_s")"
  printf '%-52s %20s %20s\n' "pooled report, process (area 1; at the end also $last)" "$(g one_report_ms) ms" "$(g all_report_first_ms) / $(g all_report_last_ms) ms"
  printf '%-52s %20s %20s\n' "actuals query on the server (psql)" "$(g one_actuals_query_ms) ms" "$(g all_actuals_query_ms) ms"
  printf '%-52s %20s %20s\n' "API report, warm server" "$(api one_api_report)" "$(api all_api_report)"
  printf '%-52s %20s %20s\n' "API consolidated view of $(icb 1) ($PLACES_PER_ICB places)" "$(api one_api_consolidated)" "$(api all_api_consolidated)"
  echo
  echo "every import (s): $(g all_imports_s)"
  echo "CPU idle before each (%): $(g all_imports_idle_pct_before)"
  echo "others' CPU during each (%, the server's work among it): $(g all_imports_others_pct)"
  echo "database: $(g ledger_rows) ledger lines, $(g imports) imports, $(g actual_rows) actual rows, $(awk -v b="$(g db_bytes)" 'BEGIN { printf "%.1f GB", b / 1e9 }')"
  for k in one_api_report all_api_report one_api_consolidated all_api_consolidated; do
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
