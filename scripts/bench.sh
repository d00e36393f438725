#!/usr/bin/env bash
# Runs the benchmarks; each prints its ratio against a baseline measured in
# the same run. Timings are printed, never asserted. BENCH=regexp selects.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=()
for p in $(go list ./...); do
  list=$(go test -list '^Benchmark' "$p" 2>/dev/null || true)
  if grep -q '^Benchmark' <<<"$list"; then pkgs+=("$p"); fi
done
if [ ${#pkgs[@]} -eq 0 ]; then echo "no benchmarks found"; exit 1; fi
go test -run '^$' -bench "${BENCH:-.}" -benchtime "${BENCHTIME:-1x}" -timeout 90m -v "${pkgs[@]}" \
  | grep -v -E '^=== (RUN|PAUSE|CONT)'
