# What the benchmark scripts share (sourced by bench/run.sh, bench/web.sh and
# bench/areas.sh, never run): installing what is missing, recording raw figures, timing a
# command, waiting for a quiet CPU, and PostgreSQL. The script that sources it sets
# RESULTS (the raw figures' file), WORK (its scratch directory) and, for PostgreSQL,
# PG_URL (a server URL without a database).

log() { printf '\n== %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
apt_updated=0
apt_install() {
  if ((apt_updated == 0)); then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >&2
}

# ---------------------------------------------------------------------------------------
# Recording: every figure as KEY=VALUE in $RESULTS (and in R, for the summary); notes as
# `# ` lines.
# ---------------------------------------------------------------------------------------
declare -A R
rec() { # KEY VALUE
  R[$1]=$2
  printf '%s=%s\n' "$1" "$2" >>"$RESULTS"
}
note() { printf '# %s\n' "$*" | tee -a "$RESULTS" >&2; }
g() { echo "${R[$1]:-n/a}"; }
mb() { awk -v k="${1:-0}" 'BEGIN { printf "%.0f", k / 1024 }'; }

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.0f}" 'BEGIN { if (b + 0 == 0 || a == "n/a") print "n/a"; else printf f "\n", a / b }'; }
CLK_TCK=$(getconf CLK_TCK)
# The machine's busy CPU time (user, nice, system, irq, softirq) and its stolen time, in ticks.
cpu_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat; }

# timed KEY CMD...: runs CMD under /usr/bin/time; records KEY_s (wall, from bash's clock,
# so including process start), KEY_rss_kb (peak resident set), KEY_cpu (user+sys s) and
# KEY_status. Standard output and error go to $WORK/KEY.out.
timed() {
  local key=$1 t0 t1 status=0 j0 j1
  shift
  j0=$(cpu_jiffies)
  t0=$(now)
  /usr/bin/time -o "$WORK/$key.time" -f '%e %M %U %S' "$@" >"$WORK/$key.out" 2>&1 || status=$?
  t1=$(now)
  j1=$(cpu_jiffies)
  local wall rss user sys
  read -r wall rss user sys < <(tail -1 "$WORK/$key.time") || true
  rec "${key}_s" "$(elapsed "$t0" "$t1")"
  rec "${key}_rss_kb" "$rss"
  rec "${key}_cpu_s" "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
  rec "${key}_status" "$status"
  # The share of the machine's CPU that other processes used meanwhile (for a PostgreSQL
  # import, the server's own work is among them), and the share the hypervisor stole.
  rec "${key}_others_pct" "$(awk -v a="$j0" -v b="$j1" -v u="$user" -v s="$sys" -v w="$(elapsed "$t0" "$t1")" \
    -v hz="$CLK_TCK" -v n="$(nproc)" 'BEGIN { split(a, x, " "); split(b, y, " ");
      o = (y[1] - x[1]) / hz - u - s; if (o < 0) o = 0; printf "%.0f", (w > 0) ? 100 * o / (n * w) : 0 }')"
  rec "${key}_steal_pct" "$(awk -v a="$j0" -v b="$j1" -v w="$(elapsed "$t0" "$t1")" -v hz="$CLK_TCK" -v n="$(nproc)" \
    'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f", (w > 0) ? 100 * (y[2] - x[2]) / hz / (n * w) : 0 }')"
  return 0
}

check_ok() { # KEY: stops the run if a command `timed` ran failed
  if [ "${R[${1}_status]}" != 0 ]; then
    echo "$(basename "$0"): \`$1\` failed (exit ${R[${1}_status]}):" >&2
    cat "$WORK/$1.out" >&2
    exit 1
  fi
}

# Waits (up to QUIET_WAIT seconds, default 300) until the machine is nearly idle, so that
# other work on it (a build, a test run) does not land in a measurement: the CPU must be
# at least 90% idle over two seconds. Records how idle it was when the measurement began
# and how long it waited.
cpu_idle_pct() {
  local a b
  a=($(head -1 /proc/stat)); sleep 2; b=($(head -1 /proc/stat))
  awk -v i1="${a[4]}" -v i2="${b[4]}" -v t1="$(IFS=+; echo "$((${a[*]:1}))")" -v t2="$(IFS=+; echo "$((${b[*]:1}))")" \
    'BEGIN { printf "%d", (t2 == t1) ? 100 : 100 * (i2 - i1) / (t2 - t1) }'
}
quiet() { # KEY
  local waited=0 idle
  idle=$(cpu_idle_pct)
  while ((idle < 90 && waited < ${QUIET_WAIT:-300})); do
    sleep 8; waited=$((waited + 10)); idle=$(cpu_idle_pct)
  done
  rec "${1}_idle_pct_before" "$idle"
  rec "${1}_waited_s" "$waited"
  ((idle >= 90)) || note "$1: the machine was only $idle% idle after waiting ${QUIET_WAIT:-300} s; measured anyway"
}

# The machine and the build, as every results file begins.
record_machine() {
  rec date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  rec cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  rec cores "$(nproc)"
  rec mem_total "$(free -h | awk '/^Mem:/ { print $2 }')"
  rec kernel "$(uname -r)"
  rec os "$(. /etc/os-release && echo "$PRETTY_NAME")"
  rec rustc "$(rustc --version)"
}

# A hash of the sources pooled is built from (taken before and after the build: they
# differ if someone changed a file meanwhile).
sources_sha256() {
  (cd "$ROOT" && find crates Cargo.toml Cargo.lock -type f -not -path '*/target/*' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
}
# Builds pooled in release mode in ROOT (or takes the binary POOLED_BIN) and copies it to
# POOLED=$WORK/pooled, so that a rebuild in the workspace during the run cannot swap it;
# records what was measured.
build_pooled() {
  if [ -n "${POOLED_BIN:-}" ]; then
    cp "$POOLED_BIN" "$WORK/pooled"
    POOLED=$WORK/pooled
    rec pooled_commit "the binary $POOLED_BIN ($("$POOLED" --version)), not built by this run"
    return 0
  fi
  local before attempt
  before=$(sources_sha256)
  log "building pooled (release)"
  # Another change may be in flight in the workspace: retry a failing build a few times.
  for attempt in 1 2 3 4 5 6; do
    if (cd "$ROOT" && cargo build --release -p pooled-cli >&2); then break; fi
    ((attempt == 6)) && { echo "$(basename "$0"): cargo build failed six times" >&2; exit 1; }
    echo "build failed (attempt $attempt); retrying in 60 s" >&2
    sleep 60
  done
  cp "$ROOT/target/release/pooled" "$WORK/pooled"
  POOLED=$WORK/pooled
  rec pooled_commit "$(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- crates Cargo.toml Cargo.lock || echo '+uncommitted')"
  rec pooled_sources_sha256 "$before"
  [ "$(sources_sha256)" = "$before" ] || note "the sources changed while pooled was being built"
}

# ---------------------------------------------------------------------------------------
# PostgreSQL on 127.0.0.1:5432 (the server of PG_URL)
# ---------------------------------------------------------------------------------------
pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
start_pg() { # starts the server if it is down
  pg_up && return 0
  log "starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 30); do pg_up && break; sleep 1; done
  pg_up || { echo "$(basename "$0"): PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
}
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$PG_URL/postgres" "$@"; }
fresh_pg_db() { # NAME: drops and creates a database
  psql_admin -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
}
pg_settings() { # the server's settings that bear on writes, on one line
  psql_admin -At -F= -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ' ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'wal_level', 'max_wal_size', 'work_mem', 'maintenance_work_mem', 'autovacuum')"
}
