#!/usr/bin/env bash
# The test command: sets up what the tests need on a fresh machine (a running PostgreSQL
# on 127.0.0.1:5432; Chromium and the npm packages for the browser tests), then runs every
# test of the workspace against SQLite and PostgreSQL, then the browser tests.
# Usage: scripts/test.sh [extra cargo test arguments]
# SKIP_BROWSER=1 leaves out the browser tests (and says so).
set -euo pipefail
cd "$(dirname "$0")/.."

postgres_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if command -v pg_isready >/dev/null && ! postgres_up && [ -d /etc/postgresql ]; then
  echo "starting PostgreSQL on 127.0.0.1:5432" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 30); do postgres_up && break; sleep 1; done
fi
if ! command -v pg_isready >/dev/null || ! postgres_up; then
  echo "WARNING: PostgreSQL is not reachable on 127.0.0.1:5432: the PostgreSQL half of the store tests will SKIP (and fail under CI=true)" >&2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# --no-fail-fast: a failing test binary does not stop the others; cargo lists the
# binaries that failed at the end.
cargo test --workspace --locked --no-fail-fast "$@" 2>&1 | tee "$log" || status=1
if [ "${SKIP_BROWSER:-}" = 1 ]; then
  echo "WARNING: SKIP_BROWSER=1: the browser tests did not run" | tee -a "$log" >&2
else
  scripts/browser-tests.sh 2>&1 | tee -a "$log" || status=1
fi
# One closing line for the whole run: cargo prints `test result: ok. 9 passed; 0 failed;
# 1 ignored; ...` per test binary, the browser tests one `browser tests: N passed, N
# failed, N skipped` line. A binary that crashed has no result line but is among cargo's
# `error: N targets failed`; a build that failed runs nothing.
awk '/^test result:/ { p += $4; f += $6; i += $8; if ($3 == "FAILED.") r++ }
     /^browser tests:/ { p += $3; f += $5; i += $7 }
     /^error: [0-9]+ targets? failed:/ { t = $2 }
     /^error: could not compile/ { b = 1 }
     END {
       line = sprintf("tests: %d passed, %d failed, %d ignored", p, f, i)
       if (t > r) line = line sprintf("; %d test binar%s crashed without a result", t - r, t - r == 1 ? "y" : "ies")
       if (b) line = line "; the build failed, so some tests did not run"
       print line
     }' "$log"
exit $status
