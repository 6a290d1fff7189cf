#!/usr/bin/env bash
# Runs every test binary given, reports each, and fails if any failed.
# Usage: run-tests.sh BUILD test...
#
# TEST_JOBS programs run at once (default 4). The SIP, RTP and UDPTL
# tests fax in real time and mostly wait on the clock, so they start first
# and overlap the CPU-bound ones; each program's output is printed whole,
# in the order given, with its wall time.
set -uo pipefail
build=$1; shift
if [[ ! -d ${FAXGW_TESTDATA:-/nonexistent} ]]; then
  echo "run-tests: test data not found at '${FAXGW_TESTDATA:-}'" \
       "(expected ../shared/testdata beside the checkout; set TESTDATA=DIR)" >&2
  exit 1
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
jobs=${TEST_JOBS:-4}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

key() { echo "${1//\//_}"; }

run_one() {
  local t=$1 n=$2 k start
  k=$(key "$t")
  start=$(date +%s)
  "$build/$t" --jobs "$n" --timeout 600 >"$logs/$k.log" 2>&1
  echo $? >"$logs/$k.rc"
  echo $(($(date +%s) - start)) >"$logs/$k.time"
}

# real-time programs first, then the rest, each list in the given order
realtime=() others=()
for t in "$@"; do
  case $t in
    *sip*|*rtp*|*udptl*|*capture_media*) realtime+=("$t") ;;
    *) others+=("$t") ;;
  esac
done
rt_jobs=4
[[ $build == *-san ]] && rt_jobs=2
running=0
for t in "${realtime[@]}" "${others[@]}"; do
  if ((running >= jobs)); then
    wait -n
    running=$((running - 1))
  fi
  # a real-time program's tests wait on the clock: more of them at once,
  # but not under the sanitizers, whose DSP is slow enough that four
  # audio faxes at once beside the CPU-bound programs can starve a call
  case " ${realtime[*]} " in
    *" $t "*) run_one "$t" "$rt_jobs" & ;;
    *) run_one "$t" 2 & ;;
  esac
  running=$((running + 1))
done
wait

# A real-time program faxes against the wall clock, and a stall of the
# whole machine (seen on shared virtual machines: 40-50 ms, every process
# at once) can cost one of its faxes. One that failed runs once more,
# alone; both outputs are printed, the totals are the second run's, and
# the retry is named at the end. A fault that repeats still fails.
retried=()
for t in "${realtime[@]}"; do
  k=$(key "$t")
  [[ $(cat "$logs/$k.rc" 2>/dev/null) == 0 ]] && continue
  mv "$logs/$k.log" "$logs/$k.first"
  run_one "$t" "$rt_jobs"
  { echo "-- $t, first run (failed):"; cat "$logs/$k.first"
    echo "-- $t, run once more, alone:"; cat "$logs/$k.log"; } >"$logs/$k.both"
  mv "$logs/$k.both" "$logs/$k.log"
  retried+=("$t")
done

failed=()
passed_total=0 failed_total=0
for t in "$@"; do
  k=$(key "$t")
  echo "== $build/$t ($(cat "$logs/$k.time" 2>/dev/null || echo '?') s)"
  cat "$logs/$k.log"
  if [[ $(cat "$logs/$k.rc" 2>/dev/null) != 0 ]]; then
    failed+=("$t")
  fi
  # Criterion's closing line: "Synthesis: Tested: N | Passing: P | Failing: F | Crashing: C"
  line=$(grep -a 'Synthesis: Tested' "$logs/$k.log" | tail -n 1 | tr -d '\033' || true)
  if [[ $line =~ Passing:\ ([0-9]+).*Failing:\ ([0-9]+).*Crashing:\ ([0-9]+) ]]; then
    passed_total=$((passed_total + BASH_REMATCH[1]))
    failed_total=$((failed_total + BASH_REMATCH[2] + BASH_REMATCH[3]))
  else
    failed+=("$t (no Criterion summary)")
  fi
done
echo "$build: $passed_total passed, $failed_total failed"
if [[ ${#retried[@]} -gt 0 ]]; then
  echo "real-time programs that failed once and ran again (see their output): ${retried[*]}"
fi
echo "slowest: $(for t in "$@"; do k=$(key "$t"); echo "$(cat "$logs/$k.time" 2>/dev/null || echo 0) $t"; done | sort -rn | head -5 | awk '{printf "%s %ss; ", $2, $1}')"
if [[ ${#failed[@]} -gt 0 ]]; then
  # again at the very end, where a CI log's tail shows it: what failed
  for t in "${failed[@]}"; do
    k=$(key "${t%% *}")
    echo "== failed: $build/$t, its assertions and last lines"
    grep -a -A8 'Assertion Failed\|Crash\|CRASH\|ERROR: AddressSanitizer\|runtime error' \
      "$logs/$k.log" | head -n 120
    tail -n 15 "$logs/$k.log"
  done
  echo "FAILED in $build: ${failed[*]}" >&2
  exit 1
fi
echo "all $# test programs passed in $build"
