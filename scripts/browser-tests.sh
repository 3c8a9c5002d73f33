#!/usr/bin/env bash
# The browser tests: headless Chromium (Debian's package) driven by playwright-core
# against `pooled demo` on a fresh database. Sets up what they need on a fresh machine
# (chromium, the npm packages, the binary), runs tests/browser/*.test.mjs with node's test
# runner, and closes with `browser tests: N passed, N failed, N skipped`.
# Usage: scripts/browser-tests.sh [node --test arguments, e.g. --test-name-pattern=what-if]
# POOLED_BIN=path uses that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Chromium.
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! as_root apt-get install -y chromium >&2; then
    as_root apt-get update >&2
    as_root apt-get install -y chromium >&2
  fi
fi

# 2. Node.js 20 or later (the machine's), and the npm packages whenever
# package-lock.json is newer than what was installed.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  echo "the browser tests need Node.js 20 or later (node and npm on the PATH)" >&2
  echo "browser tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
cd "$root/tests/browser"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
cd "$root"

# 3. The binary.
if [ -z "${POOLED_BIN:-}" ]; then
  cargo build -p pooled-cli --locked >&2
  POOLED_BIN="$root/${CARGO_TARGET_DIR:-target}/debug/pooled"
  case "${CARGO_TARGET_DIR:-}" in /*) POOLED_BIN="$CARGO_TARGET_DIR/debug/pooled" ;; esac
fi
if [ ! -x "$POOLED_BIN" ]; then
  echo "no pooled binary at $POOLED_BIN" >&2
  echo "browser tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
POOLED_BIN=$(realpath "$POOLED_BIN")   # the tests run in tests/browser
export POOLED_BIN

# 4. The demo server on a free port, on a database of its own.
work=$(mktemp -d)
export POOLED_DATABASE="$work/demo.sqlite"
server=""
stop_server() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

"$POOLED_BIN" demo --address 127.0.0.1:0 --database "$POOLED_DATABASE" >"$work/demo.out" 2>"$work/demo.err" &
server=$!
base=""
for _ in $(seq 1200); do
  base=$(grep -o -m1 'at http://127\.0\.0\.1:[0-9]*/' "$work/demo.out" 2>/dev/null | sed 's|^at ||; s|/$||' || true)
  [ -n "$base" ] && break
  if ! kill -0 "$server" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$base" ]; then
  echo "pooled demo did not say where it serves within 120 s:" >&2
  cat "$work/demo.out" "$work/demo.err" >&2
  echo "browser tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
echo "pooled demo serving at $base" >&2
export BASE_URL=$base
export SCREENSHOT_DIR="$root/target/browser-screenshots"
mkdir -p "$SCREENSHOT_DIR"

# 5. The tests, one file at a time (each drives its own browser). The spec reporter's
# closing `ℹ pass N`, `ℹ fail N`, `ℹ cancelled N`, `ℹ skipped N` and `ℹ todo N` lines
# give the summary.
log="$work/tests.log"
set +e
(cd tests/browser && node --test --test-concurrency=1 --test-reporter=spec "$@" ./*.test.mjs) 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
stop_server
passed=$(sed -n 's/^[^0-9a-z]*pass \([0-9][0-9]*\)$/\1/p' "$log" | tail -1)
failed=$(sed -n 's/^[^0-9a-z]*fail \([0-9][0-9]*\)$/\1/p' "$log" | tail -1)
cancelled=$(sed -n 's/^[^0-9a-z]*cancelled \([0-9][0-9]*\)$/\1/p' "$log" | tail -1)
skipped=$(sed -n 's/^[^0-9a-z]*skipped \([0-9][0-9]*\)$/\1/p' "$log" | tail -1)
todo=$(sed -n 's/^[^0-9a-z]*todo \([0-9][0-9]*\)$/\1/p' "$log" | tail -1)
echo "screenshots: $SCREENSHOT_DIR"
if [ -z "$passed" ] || [ -z "$failed" ]; then
  echo "browser tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
failed=$((failed + ${cancelled:-0}))
skipped=$((${skipped:-0} + ${todo:-0}))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "browser tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
