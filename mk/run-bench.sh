#!/usr/bin/env bash
# Runs each benchmark once; they print their own figures. Usage: run-bench.sh BUILD bench...
set -euo pipefail
build=$1; shift
for b in "$@"; do
  echo "== $b"
  "$build/bench/$b"
done
