#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time, seeded from tests/fuzz/corpus/<target>
# where present. Usage: run-fuzz.sh BUILD SECONDS target...
set -euo pipefail
build=$1; seconds=$2; shift 2
for t in "$@"; do
  work="$build/fuzz/corpus-$t"
  mkdir -p "$work"
  seeds=()
  [[ -d tests/fuzz/corpus/$t ]] && seeds+=("tests/fuzz/corpus/$t")
  echo "== fuzzing $t for ${seconds}s"
  "$build/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 \
      "$work" "${seeds[@]}"
done
