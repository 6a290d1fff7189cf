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
for t in "$@"; do
  echo "== $build/$t"
  if ! "$build/$t" --jobs 2 --timeout 600; then
    failed+=("$t")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED in $build: ${failed[*]}" >&2
  exit 1
fi
echo "all $# test programs passed in $build"
