#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 10s).
# New Fuzz* functions are picked up automatically.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
status=0
for pkg in $(go list ./...); do
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for target in $targets; do
    echo "fuzz: $pkg $target ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "$pkg" > /tmp/citadel-fuzz.$$ 2>&1; then
      cat /tmp/citadel-fuzz.$$
      status=1
    fi
  done
done
rm -f /tmp/citadel-fuzz.$$
exit $status
