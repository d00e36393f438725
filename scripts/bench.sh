#!/usr/bin/env bash
# Runs the benchmarks; each prints its ratio against a baseline measured in
# the same run. Timings are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=$(go list ./... | while read -r p; do
  if go test -list '^Benchmark' "$p" 2>/dev/null | grep -q '^Benchmark'; then echo "$p"; fi
done)
if [ -z "$pkgs" ]; then echo "no benchmarks yet"; exit 0; fi
# shellcheck disable=SC2086
go test -run '^$' -bench . -benchtime "${BENCHTIME:-1x}" -timeout 60m $pkgs
