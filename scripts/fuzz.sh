#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 10s).
# New Fuzz* functions are picked up automatically.
#
# Go 1.26's fuzz coordinator can end a run with a bare "context deadline
# exceeded" at the -fuzztime boundary, having found nothing (golang/go#75804,
# fixed in Go 1.27). A failure counts only when the run says why: a failing
# input written to testdata/fuzz, a panic, or a test failure message other
# than that one line. The race is reported, not hidden.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
# deadline_race: the output's only complaint is the bare deadline line.
deadline_race() {
  grep -q 'context deadline exceeded' "$1" || return 1
  grep -q -E 'Failing input written|panic:' "$1" && return 1
  local other
  other=$(grep -A5 -- '--- FAIL' "$1" | grep -v -E -- '--- FAIL|context deadline exceeded|^FAIL|^exit status|^--$' | grep -c . || true)
  [ "$other" = 0 ]
}

status=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# The targets are found in the sources (func FuzzX(f *testing.F) in a
# tracked _test.go file): asking `go test -list` of every package linked
# some 70 test binaries, a minute and a half before the first target ran.
for dir in $(git ls-files --cached --others --exclude-standard '*_test.go' | xargs grep -l -E '^func Fuzz[A-Za-z0-9_]*\(' | xargs -n1 dirname | sort -u); do
  pkg=./$dir
  targets=$(cat "$dir"/*_test.go | sed -n -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/p' | sort -u)
  for target in $targets; do
    echo "fuzz: $pkg $target ($fuzztime)"
    if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "$pkg" >"$out" 2>&1; then
      continue
    fi
    if deadline_race "$out"; then
      echo "fuzz: $target ended on Go's fuzztime deadline race (golang/go#75804), no failing input: not a failure"
      continue
    fi
    cat "$out"
    status=1
  done
done
exit $status
