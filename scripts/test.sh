#!/usr/bin/env bash
# Runs every test of the module verbosely into a log, then prints a summary:
# each package's result and every service the testbed started, so the CI log
# shows that MinIO and FerretDB really ran. On failure the whole log is shown.
set -uo pipefail
cd "$(dirname "$0")/.."
timeout=${TEST_TIMEOUT:-25m}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
go test -count=1 -timeout "$timeout" -v ./... >"$log" 2>&1
status=$?
if [ $status -ne 0 ]; then
  grep -v -E '^=== (RUN|PAUSE|CONT|NAME)' "$log"
  echo "tests FAILED (exit $status)"
  exit $status
fi
grep -E '^(ok|FAIL|\?) |testbed: ' "$log" | sed -E 's/^ +/    /'
services=$(grep -c 'testbed: ' "$log" || true)
echo "tests passed; testbed services started: $services"
