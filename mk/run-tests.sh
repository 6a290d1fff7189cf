#!/usr/bin/env bash
# Runs every test binary given, reports each, and fails if any failed.
# Usage: run-tests.sh BUILD test...
set -uo pipefail
build=$1; shift
if [[ ! -d ${FAXGW_TESTDATA:-/nonexistent} ]]; then
  echo "run-tests: test data not found at '${FAXGW_TESTDATA:-}'" \
       "(expected ../shared/testdata beside the checkout; set TESTDATA=DIR)" >&2
  exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
passed_total=0 failed_total=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
  echo "== $build/$t"
  if ! "$build/$t" --jobs 2 --timeout 600 2>&1 | tee "$log"; then
    failed+=("$t")
  fi
  # Criterion's closing line: "Synthesis: Tested: N | Passing: P | Failing: F | Crashing: C"
  line=$(grep -a 'Synthesis: Tested' "$log" | tail -n 1 | tr -d '\033' || true)
  if [[ $line =~ Passing:\ ([0-9]+).*Failing:\ ([0-9]+).*Crashing:\ ([0-9]+) ]]; then
    passed_total=$((passed_total + BASH_REMATCH[1]))
    failed_total=$((failed_total + BASH_REMATCH[2] + BASH_REMATCH[3]))
  else
    failed+=("$t (no Criterion summary)")
  fi
done
echo "$build: $passed_total passed, $failed_total failed"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED in $build: ${failed[*]}" >&2
  exit 1
fi
echo "all $# test programs passed in $build"
