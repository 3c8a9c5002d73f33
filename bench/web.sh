#!/usr/bin/env bash
# The web load benchmark of issue 4: `pooled serve` on a SQLite database holding ROWS
# generated ledger lines for 2016-17, loaded with wrk on the overview page and a pool page.
#
# usage: bash bench/web.sh
#
# Environment (all optional):
#   ROWS=10000000            ledger lines in the database, spread evenly over 12 imports:
#                            both partners (OCC as Unit4, OCCG as Oracle), M1 to M6
#                            (2016-04 to 2016-09)
#   DURATION=30s             each measured wrk run
#   CONNECTIONS=50           wrk connections (-c); WRK_THREADS=2 wrk threads (-t)
#   WARMUP=5s                an unmeasured wrk run on each page first
#   BENCH_DIR=/tmp/pooled-web-bench   scratch directory; the database (about 93 bytes a
#                            line, so about 1 GB at 10M) is kept there and reused
#   QUIET_WAIT=300           seconds to wait for the CPU to be at least 90% idle before
#                            each measurement (as bench/run.sh does)
#   MAX_OTHERS=10 ATTEMPTS=3 a run during which other processes took more than MAX_OTHERS
#                            percent of the CPU is done again, up to ATTEMPTS runs a page
#   SOURCE=auto              what is built: `worktree` (this checkout, with
#                            `cargo build --release -p pooled-cli --locked`), `head` (the
#                            committed HEAD, from `git archive`, built in BENCH_DIR), or
#                            `auto`: the checkout, or HEAD if the checkout does not build
#                            with --locked (another change in flight)
#   POOLED_BIN=PATH          measure this pooled binary instead of building one
#   RESULTS=FILE             where the raw figures go (bench/web-results-YYYY-MM-DD.txt)
#   BENCH_USER=web-bench BENCH_PASSWORD=...   the account the script logs in with when
#                            the pages need a session; created with `pooled user` if the
#                            login is refused
#
# It installs wrk and curl if missing (Debian packages), writes the raw figures and wrk's
# own output to bench/web-results-YYYY-MM-DD.txt and prints a summary. It fails if any
# benchmarked response was not 200 (wrk itself counts only statuses over 399, so a
# redirect to the login page would pass unnoticed: the script counts the statuses in the
# server's request log as well).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${ROWS:-10000000}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-50}
WRK_THREADS=${WRK_THREADS:-2}
WARMUP=${WARMUP:-5s}
MAX_OTHERS=${MAX_OTHERS:-10}
ATTEMPTS=${ATTEMPTS:-3}
WORK=${BENCH_DIR:-/tmp/pooled-web-bench}
SOURCE=${SOURCE:-auto}
BENCH_USER=${BENCH_USER:-web-bench}
BENCH_PASSWORD=${BENCH_PASSWORD:-web-bench-password-2026}
[[ $ROWS =~ ^[1-9][0-9]*$ ]] || { echo "web.sh: ROWS is a row count, not \`$ROWS\`" >&2; exit 2; }
AGREEMENT=$ROOT/examples/oxfordshire-2016-17.toml
YEAR=2016-17
AT=/agreements/oxon-s75/$YEAR
PAGES=("$AT?month=M6" "$AT/pools/OP")
PAGE_NAMES=(overview pool-OP)
DATE=$(date -u +%Y-%m-%d)
RESULTS=${RESULTS:-$ROOT/bench/web-results-$DATE.txt}

source "$ROOT/bench/common.sh"
command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl
[ -x /usr/bin/time ] || apt_install time

mkdir -p "$WORK"
DB=$WORK/web-$ROWS.sqlite
# The database (about 93 bytes a line), the largest extract (about 86 bytes a line, one
# twelfth of them) and, for SOURCE=head, a release build (about 1.5 GB).
need_kb=$(((ROWS * 100 + 2000000000) / 1024))
[ -f "$DB.ready" ] && need_kb=$((2000000000 / 1024))
free_kb=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
if ((free_kb < need_kb)); then
  echo "web.sh: $WORK has $((free_kb / 1024)) MB free, the run needs about $((need_kb / 1024)) MB" >&2
  exit 1
fi

# ---------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------
: >"$RESULTS"
raw() { sed 's/^/| /' >>"$RESULTS"; } # verbatim output of a tool, marked off
# The machine's CPU time in processes (user, nice, system) and in interrupts (irq, softirq:
# on loopback, much of the TCP work is softirq time charged to no process), in ticks.
busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4, $7 + $8 }' /proc/stat; }
proc_jiffies() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; } # utime + stime

record_machine
rec wrk_version "$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
rec rows "$ROWS"
rec duration "$DURATION"
rec connections "$CONNECTIONS"
rec wrk_threads "$WRK_THREADS"
rec loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------
# pooled, release build
# ---------------------------------------------------------------------------------------
commit=$(cd "$ROOT" && git rev-parse --short HEAD)
dirty=""
(cd "$ROOT" && git diff --quiet HEAD -- crates Cargo.toml Cargo.lock) || dirty=+uncommitted
build_head() {
  log "building the committed HEAD ($commit) in $WORK/src (release)"
  rm -rf "$WORK/src"
  mkdir -p "$WORK/src"
  (cd "$ROOT" && git archive HEAD) | tar -x -C "$WORK/src"
  (cd "$WORK/src" && CARGO_TARGET_DIR=$WORK/target cargo build --release -p pooled-cli --locked >&2)
  cp "$WORK/target/release/pooled" "$WORK/pooled"
  rec pooled_source "HEAD $commit (git archive; the checkout's uncommitted changes not included)"
}
if [ -n "${POOLED_BIN:-}" ]; then SOURCE=given; fi
case $SOURCE in
  given)
    cp "$POOLED_BIN" "$WORK/pooled"
    rec pooled_source "the binary $POOLED_BIN (not built by this run; \`$("$POOLED_BIN" --version)\`)"
    ;;
  worktree | auto)
    log "building pooled in $ROOT (release)"
    if (cd "$ROOT" && cargo build --release -p pooled-cli --locked >&2); then
      cp "$ROOT/target/release/pooled" "$WORK/pooled"
      rec pooled_source "checkout at $commit$dirty"
    elif [ "$SOURCE" = auto ]; then
      note "the checkout does not build with --locked (a change in flight?): measuring the committed HEAD"
      build_head
    else
      echo "web.sh: cargo build failed" >&2; exit 1
    fi
    ;;
  head) build_head ;;
  *) echo "web.sh: SOURCE is worktree, head or auto, not \`$SOURCE\`" >&2; exit 2 ;;
esac
POOLED=$WORK/pooled # a copy: a rebuild in the workspace cannot swap it mid-run
[ "$SOURCE" = given ] || rec pooled_commit "$commit"
rec pooled_binary_sha256 "$(sha256sum "$POOLED" | cut -c1-16)"

# ---------------------------------------------------------------------------------------
# The database: ROWS lines in 12 imports (OCC and OCCG, M1 to M6 of 2016-17), plan and a
# forecast on each line at M6, as `pooled demo` enters them. Kept and reused.
# ---------------------------------------------------------------------------------------
PERIODS=(2016-04 2016-05 2016-06 2016-07 2016-08 2016-09)
if [ -f "$DB.ready" ] && [ -f "$DB" ]; then
  log "reusing $DB"
  note "database reused from an earlier run: $(cat "$DB.ready")"
else
  log "loading $ROWS ledger lines into $DB"
  rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.ready"
  p() { "$POOLED" --database "$DB" --as web-bench "$@"; }
  t0=$(now)
  p load "$AGREEMENT" >/dev/null
  p gen-plan "$AGREEMENT" -o "$WORK/plan.csv" >/dev/null
  p load-plan --year $YEAR "$WORK/plan.csv" >/dev/null
  p save-mapping --partner OCC --preset unit4 >/dev/null
  p save-mapping --partner OCCG --preset oracle >/dev/null
  imports=$((${#PERIODS[@]} * 2))
  k=0
  for period in "${PERIODS[@]}"; do
    for pair in OCC:unit4 OCCG:oracle; do
      partner=${pair%%:*} preset=${pair#*:}
      n=$((ROWS / imports))
      ((k == 0)) && n=$((n + ROWS % imports))
      k=$((k + 1))
      extract=$WORK/extract.csv
      "$POOLED" gen-ledger --agreement "$AGREEMENT" --partner "$partner" --period "$period" --rows $n \
        --seed $k --preset "$preset" -o "$extract" >/dev/null
      p import --partner "$partner" --period "$period" "$extract" | tail -1 >&2
      rm -f "$extract"
    done
  done
  # A forecast at M6 on the first cost centre of each line: 5% over budget.
  # (The name may hold commas: pool, line and budget are counted from the end. Text cells
  # are quoted, as every CSV pooled writes quotes them.)
  awk -F, 'NR > 1 && !seen[$(NF - 2) "/" $(NF - 1)]++ { code = $1; gsub(/"/, "", code); printf "%s %.2f\n", code, $NF * 1.05 }' "$WORK/plan.csv" |
    while read -r code outturn; do
      p forecast --year $YEAR --month M6 --cost-centre "$code" --outturn "$outturn" >/dev/null
    done
  rec load_s "$(elapsed "$t0" "$(now)")"
  echo "rows=$ROWS imports=$imports periods=${PERIODS[0]}..${PERIODS[-1]} built=$(date -u +%Y-%m-%dT%H:%M:%SZ) by $commit" >"$DB.ready"
fi
rec database "$DB"
rec database_bytes "$(stat -c %s "$DB")"
rec database_ready "$(cat "$DB.ready")"

# ---------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM
SERVER_LOG=$WORK/server.err
: >"$WORK/server.out"
"$POOLED" serve --database "$DB" --address 127.0.0.1:0 >"$WORK/server.out" 2>"$SERVER_LOG" &
SERVER_PID=$!
PORT=""
for _ in $(seq 100); do
  PORT=$(sed -n 's#.* at http://127\.0\.0\.1:\([0-9]*\)/.*#\1#p' "$WORK/server.out" | head -1)
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; echo "web.sh: the server stopped" >&2; exit 1; }
  sleep 0.1
done
[ -n "$PORT" ] || { echo "web.sh: the server printed no address" >&2; exit 1; }
BASE=http://127.0.0.1:$PORT
rec server_says "$(head -1 "$WORK/server.out")"
rss_kb() { awk -v k="$2" '$1 == k ":" { print $2 }' "/proc/$1/status"; }
rec server_rss_kb_start "$(rss_kb "$SERVER_PID" VmRSS)"

# ---------------------------------------------------------------------------------------
# Logging in, if the pages need it
# ---------------------------------------------------------------------------------------
# header FILE NAME: the first value of a response header (curl -D FILE), without CR.
header() { awk -v n="$(echo "$2" | tr 'A-Z' 'a-z')" 'BEGIN { FS = ": " } tolower($1) == n { sub(/\r$/, ""); sub(/^[^:]*: /, ""); print; exit }' "$1"; }
# set_cookie FILE NAME: the value of cookie NAME from the Set-Cookie headers in FILE.
set_cookie() { tr -d '\r' <"$1" | sed -n "s/^[Ss]et-[Cc]ookie: *$2=\([^;]*\).*/\1/p" | head -1; }
login() { # prints the session cookie's value, or nothing
  local form csrf next login_cookie status
  curl -s -D "$WORK/login-get.h" -o "$WORK/login-get.html" "$BASE/login"
  login_cookie=$(set_cookie "$WORK/login-get.h" pooled_login)
  # The hidden inputs, in whichever order maud wrote their attributes.
  form=$(tr '\n' ' ' <"$WORK/login-get.html" | grep -o '<input[^>]*>' || true)
  csrf=$(echo "$form" | grep 'name="csrf_token"' | sed -n 's/.*value="\([^"]*\)".*/\1/p' | head -1)
  next=$(echo "$form" | grep 'name="next"' | sed -n 's/.*value="\([^"]*\)".*/\1/p' | head -1)
  # No form (a database without accounts says how to make one instead): nothing to post.
  if [ -z "$login_cookie" ] || [ -z "$csrf" ]; then echo "login: no sign-in form" >&2; return 0; fi
  status=$(curl -s -o "$WORK/login-post.html" -D "$WORK/login-post.h" -w '%{http_code}' \
    -H "Cookie: pooled_login=$login_cookie" \
    --data-urlencode "username=$BENCH_USER" --data-urlencode "password=$BENCH_PASSWORD" \
    --data-urlencode "csrf_token=$csrf" --data-urlencode "next=${next:-/}" "$BASE/login")
  echo "login POST: $status" >&2
  [ "$status" = 303 ] && set_cookie "$WORK/login-post.h" pooled_session
  return 0
}
COOKIE=()
first=$(curl -s -o /dev/null -D "$WORK/first.h" -w '%{http_code}' "$BASE/")
rec unauthenticated_get_root "$first $(header "$WORK/first.h" location)"
case $first in
  200) rec login "none (GET / answers 200 without a session)" ;;
  30[0-9])
    [[ $(header "$WORK/first.h" location) == */login* ]] || { echo "web.sh: GET / redirects elsewhere" >&2; exit 1; }
    session=$(login)
    if [ -z "$session" ]; then
      log "no account $BENCH_USER: creating it"
      "$POOLED" --help | grep -qE '^  user ' || {
        echo "web.sh: the pages need a login, the login was refused and pooled has no \`user\` command to create an account" >&2
        exit 1
      }
      # `pooled user add NAME --role ROLE` reads the password as one line from a pipe (with
      # --password-stdin, should a later version ask for that flag).
      flags=()
      "$POOLED" user add --help | grep -q -- --password-stdin && flags=(--password-stdin)
      printf '%s\n' "$BENCH_PASSWORD" |
        "$POOLED" --database "$DB" --as web-bench user add "$BENCH_USER" --role pool-manager "${flags[@]}" >&2
      rec account_created "$BENCH_USER (pool-manager)"
      session=$(login)
    fi
    [ -n "$session" ] || { echo "web.sh: could not log in as $BENCH_USER" >&2; cat "$WORK/login-post.h" >&2; exit 1; }
    COOKIE=(-H "Cookie: pooled_session=$session")
    rec login "as $BENCH_USER (a session cookie on every request)"
    ;;
  *) echo "web.sh: GET / answered $first" >&2; exit 1 ;;
esac

# ---------------------------------------------------------------------------------------
# The measurements
# ---------------------------------------------------------------------------------------
# wrk's latencies are printed as 812.00us, 12.34ms or 1.02s: in ms.
to_ms() { awk '{ v = $1; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
  printf "%.2f\n", (u == "us") ? v / 1000 : (u == "ms") ? v : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v }'; }
# wrk's counts are printed as 2.50k or 1.20M
to_n() { awk '{ v = $1; m = 1; if (v ~ /k$/) m = 1e3; if (v ~ /M$/) m = 1e6; sub(/[kM]$/, "", v); printf "%.0f\n", v * m }'; }
# Statuses the server logged for PATH from line FROM of its log on: "200:1234 303:5".
logged_statuses() {
  tail -n +"$2" "$SERVER_LOG" | grep -F " path=$1 " | sed -n 's/.* status=\([0-9]*\) .*/\1/p' |
    sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 } END { if (NR == 0) printf "none" }'
}
failed=0
for i in "${!PAGES[@]}"; do
  page=${PAGES[$i]} key=${PAGE_NAMES[$i]}
  url=$BASE$page
  path=${page%%\?*}
  log "$key: $url"
  # One request first: 200, its size, and sequential (unloaded) times of 20 more.
  # (The first request of a page reads the year's figures from the store; the server may
  # keep them for later requests until the store changes.)
  read -r status first_s < <(curl -s -o "$WORK/$key.html" -w '%{http_code} %{time_total}\n' "${COOKIE[@]}" "$url")
  rec "${key}_first_request_ms" "$(awk -v s="$first_s" 'BEGIN { printf "%.1f", s * 1000 }')"
  rec "${key}_url" "$page"
  rec "${key}_single_status" "$status"
  rec "${key}_bytes" "$(stat -c %s "$WORK/$key.html")"
  [ "$status" = 200 ] || { echo "web.sh: $page answered $status" >&2; failed=1; continue; }
  if grep -q 'name="password"' "$WORK/$key.html"; then
    echo "web.sh: $page answered 200 with the sign-in form" >&2; failed=1; continue
  fi
  rec "${key}_title" "$(grep -o '<title>[^<]*' "$WORK/$key.html" | head -1 | sed 's/<title>//')"
  rec "${key}_sequential_ms" "$(for _ in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' "${COOKIE[@]}" "$url"; done |
    sort -g | awk '{ a[NR] = $1 * 1000 } END { printf "min=%.1f median=%.1f max=%.1f", a[1], a[int((NR + 1) / 2)], a[NR] }')"
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" "${COOKIE[@]}" "$url" >"$WORK/$key-warmup.wrk" 2>&1
  # A run during which other processes took more than MAX_OTHERS% of the CPU is kept in
  # the raw output but measured again (up to ATTEMPTS runs; the last one counts).
  for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
    quiet "${key}_$attempt"
    from=$(($(wc -l <"$SERVER_LOG") + 1))
    read -r b0 i0 < <(busy_jiffies)
    s0=$(proc_jiffies "$SERVER_PID")
    t0=$(now)
    /usr/bin/time -o "$WORK/$key.time" -f '%U %S' \
      wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${COOKIE[@]}" "$url" >"$WORK/$key.wrk" 2>&1
    t1=$(now)
    read -r b1 i1 < <(busy_jiffies)
    s1=$(proc_jiffies "$SERVER_PID")
    {
      echo "# $key, attempt $attempt: wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency${COOKIE[*]:+ -H 'Cookie: pooled_session=...'} $BASE$page"
      cat "$WORK/$key.wrk"
    } | raw
    wall=$(elapsed "$t0" "$t1")
    read -r wu ws <"$WORK/$key.time"
    # Shares of the machine's CPU time over the run: the server, wrk, everything else.
    cpu=$(awk -v b="$((b1 - b0))" -v i="$((i1 - i0))" -v s="$((s1 - s0))" -v wu="$wu" -v ws="$ws" -v w="$wall" -v hz="$CLK_TCK" -v n="$(nproc)" \
      'BEGIN { t = n * w; srv = s / hz; wrk = wu + ws; o = b / hz - srv - wrk; if (o < 0) o = 0;
        printf "server=%.0f wrk=%.0f irq=%.0f others=%.0f idle=%.0f", 100 * srv / t, 100 * wrk / t, 100 * i / hz / t,
          100 * o / t, 100 - 100 * ((b + i) / hz) / t }')
    rec "${key}_${attempt}_cpu_pct" "$cpu"
    rec "${key}_${attempt}_summary" "$(awk '/^Requests\/sec:/ { r = $2 } $1 == "99%" { p = $2 } END { print r " req/s, p99 " p }' "$WORK/$key.wrk")"
    others_pct=$(echo "$cpu" | sed -n 's/.*others=\([0-9]*\).*/\1/p')
    ((others_pct <= MAX_OTHERS)) && break
    ((attempt < ATTEMPTS)) && note "$key: other processes took $others_pct% of the CPU during attempt $attempt: measuring again"
  done
  ((others_pct <= MAX_OTHERS)) || note "$key: other processes took $others_pct% of the CPU during the last attempt; kept anyway"
  rec "${key}_attempts" "$((attempt > ATTEMPTS ? ATTEMPTS : attempt))"
  rec "${key}_cpu_pct" "$cpu"
  rec "${key}_cpu_ms_per_request" "$(awk -v s="$((s1 - s0))" -v hz="$CLK_TCK" -v n="$(awk '/requests in/ { print $1 }' "$WORK/$key.wrk")" \
    'BEGIN { printf "%.2f", 1000 * s / hz / n }')"
  w=$WORK/$key.wrk
  rec "${key}_requests_per_s" "$(awk '/^Requests\/sec:/ { print $2 }' "$w")"
  rec "${key}_requests" "$(awk '/requests in/ { print $1 }' "$w")"
  for q in 50 75 90 99; do
    rec "${key}_p${q}_ms" "$(awk -v q="$q%" '$1 == q { print $2 }' "$w" | to_ms)"
  done
  rec "${key}_avg_ms" "$(awk '$1 == "Latency" { print $2; exit }' "$w" | to_ms)"
  rec "${key}_max_ms" "$(awk '$1 == "Latency" { print $4; exit }' "$w" | to_ms)"
  rec "${key}_non2xx3xx" "$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' "$w" | grep . || echo 0)"
  rec "${key}_socket_errors" "$(sed -n 's/.*Socket errors: *//p' "$w" | grep . || echo none)"
  # Every status the server logged for the page from the start of the counted run (it
  # also logs the requests still in flight when wrk stopped, which wrk does not count).
  rec "${key}_server_statuses" "$(logged_statuses "$path" "$from")"
  rec "${key}_server_rss_kb" "$(rss_kb "$SERVER_PID" VmRSS)"
  ok200=$(echo "${R[${key}_server_statuses]}" | tr ' ' '\n' | awk -F: '$1 == 200 { print $2 }')
  not200=$(echo "${R[${key}_server_statuses]}" | tr ' ' '\n' | awk -F: '$1 != 200 && $1 != "none" { s += $2 } END { print s + 0 }')
  if ((${R[${key}_non2xx3xx]} > 0 || not200 > 0)) || [ -z "$ok200" ]; then
    note "$key: responses other than 200 (wrk: ${R[${key}_non2xx3xx]} non-2xx/3xx; server log: ${R[${key}_server_statuses]})"
    failed=1
  fi
done
rec server_rss_kb_end "$(rss_kb "$SERVER_PID" VmRSS)"
rec server_rss_kb_peak "$(rss_kb "$SERVER_PID" VmHWM)"
rec loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
stop_server

# ---------------------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------------------
{
  echo
  echo "pooled web load, $(g date), $(g cpu), $(g cores) cores; $(g pooled_source)"
  echo "$ROWS ledger lines ($(g database_ready)); login: $(g login)"
  echo "wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, after a $WARMUP warm-up; target p99 < 50 ms"
  echo
  printf '%-28s %12s %9s %9s %9s %9s %10s %-20s %8s  %s\n' page req/s p50_ms p99_ms max_ms avg_ms non-2xx server_statuses rss_MB cpu_pct
  for key in "${PAGE_NAMES[@]}"; do
    printf '%-28s %12s %9s %9s %9s %9s %10s %-20s %8s  %s\n' "$key" "$(g "${key}_requests_per_s")" "$(g "${key}_p50_ms")" \
      "$(g "${key}_p99_ms")" "$(g "${key}_max_ms")" "$(g "${key}_avg_ms")" "$(g "${key}_non2xx3xx")" \
      "$(g "${key}_server_statuses")" "$(mb "$(g "${key}_server_rss_kb")")" "$(g "${key}_cpu_pct")"
  done
  echo "server RSS: $(mb "$(g server_rss_kb_start)") MB at start, $(mb "$(g server_rss_kb_peak)") MB peak"
  for key in "${PAGE_NAMES[@]}"; do
    p99=$(g "${key}_p99_ms")
    awk -v p="$p99" 'BEGIN { exit !(p != "n/a" && p + 0 < 50) }' && verdict=met || verdict=MISSED
    echo "$key: p99 $p99 ms: target $verdict; server CPU $(g "${key}_cpu_ms_per_request") ms a request;" \
      "first request $(g "${key}_first_request_ms") ms, then one at a time: $(g "${key}_sequential_ms") ms; attempts: $(g "${key}_attempts")"
  done
} | tee "$WORK/summary.txt"
{ echo; echo "# the summary"; sed 's/^/# /' "$WORK/summary.txt"; } >>"$RESULTS"
echo "raw figures: $RESULTS" >&2
exit $failed
