#!/usr/bin/env bash
# SIP benchmark, started by the bench_sip program (make bench) from the
# repository root: bench_sip.sh PATH_OF_BENCH_SIP
#
# One faxgwd with a SIP trunk on loopback takes N concurrent real-time
# calls from bench_sip --load (the load generator: N lines that start
# spread over one call length and dial again when their call ends, for
# 1.5 call lengths; see bench_sip.c), N ramped up (doubling,
# then halving between the last good and the first bad level) until a level
# has a late frame or a page that did not arrive intact. Reported for
# G.711 (trunk_t38 = no) and T.38 from the start (trunk_t38 = yes): the
# highest N with no late frame and every page intact, and faxgwd's CPU per
# call; then the CPU per call of the simulated (loopback) calls of
# `faxgw simulate incoming` on the same daemon, same document.
#
# Everything lives in a temporary folder; the daemon started here is
# stopped at the end by its pid. Prints figures; asserts nothing.
set -euo pipefail
self=${1:?usage: bench_sip.sh PATH_OF_BENCH_SIP}
build=$(dirname "$(dirname "$self")")
doc=${FAXGW_TESTDATA:?FAXGW_TESTDATA must name the shared test data}/tiff/asterisk-testsuite__udptl_1page.tif
START=${BENCH_SIP_START:-10}
MAX=${BENCH_SIP_MAX:-640}
SIM_CALLS=${BENCH_SIP_SIM_CALLS:-8}

make --no-print-directory BUILD="$build" "$build/faxgw" "$build/faxgwd" >/dev/null

tmp=$(mktemp -d /tmp/faxgw-bench-sip-XXXXXX)
daemon_pid=''
finish() {
  [[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap finish EXIT

if [[ $(id -u) -eq 0 ]]; then
  user=nobody
  as_user=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
  chown nobody "$tmp"
else
  user=$(id -un)
  as_user=()
fi
chmod 755 "$tmp"
data=$tmp/data
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_user[@]}" "$build/faxgw" init --data "$data" >/dev/null

start_daemon() {  # $1: trunk_t38
  awk -v data="$data" -v user="$user" -v listen="127.0.0.1:$port" -v t38="$1" '
    /^\[/ { sec = $0 }
    sec == "[general]" && /^data_dir *=/ { $0 = "data_dir = " data }
    sec == "[general]" && /^user *=/ { $0 = "user = " user }
    sec == "[security]" && /^scrypt_log2_n *=/ { $0 = "scrypt_log2_n = 14" }
    sec == "[audit]" && /^syslog *=/ { $0 = "syslog = no" }
    sec == "[web]" && /^enabled *=/ { $0 = "enabled = no" }
    sec == "[lines]" && /^trunk_kind *=/ { $0 = "trunk_kind = sip" }
    sec == "[lines]" && /^trunk_channels *=/ { $0 = "trunk_channels = 64" }
    sec == "[sip]" && /^listen *=/ { $0 = "listen = " listen }
    sec == "[sip]" && /^rtp_ports *=/ { $0 = "rtp_ports = 20000-39998" }
    sec == "[sip]" && /^trunk_peers *=/ { $0 = "trunk_peers = 127.0.0.1/32" }
    sec == "[sip]" && /^trunk_t38 *=/ { $0 = "trunk_t38 = " t38 }
    sec == "[sip]" && /^max_calls *=/ { $0 = "max_calls = 1000" }
    { print }' config/faxgw.ini >"$tmp/faxgw.ini"
  chmod 600 "$tmp/faxgw.ini"
  [[ $user == nobody ]] && chown nobody "$tmp/faxgw.ini"
  "$build/faxgwd" -f -c "$tmp/faxgw.ini" >>"$tmp/daemon.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 100); do
    "${as_user[@]}" "$build/faxgw" status --data "$data" >/dev/null 2>&1 && return 0
    kill -0 "$daemon_pid" 2>/dev/null || { tail -20 "$tmp/daemon.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "faxgwd did not start" >&2; tail -20 "$tmp/daemon.log" >&2; exit 1
}

stop_daemon() {
  kill "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=''
}

cpu_ticks() {  # utime + stime of the daemon, in clock ticks
  awk '{ print $14 + $15 }' "/proc/$daemon_pid/stat"
}

calls_left() {
  "${as_user[@]}" "$build/faxgw" status --data "$data" 2>/dev/null |
    sed -n 's/.*calls \([0-9]*\) in progress.*/\1/p'
}

wait_idle() {
  for _ in $(seq 600); do
    [[ $(calls_left) == 0 ]] && return 0
    sleep 0.5
  done
  return 1
}

count() {  # grep -c that prints 0 on no match
  grep -c "$@" || true
}

# One level: N calls; sets ok (1 when no late frame and every page intact)
# and prints a line.
level() {  # $1: mode, $2: N
  local mode=$1 n=$2 log0 aud0 c0 c1 late intact gen hz calls failed
  log0=$(wc -l <"$tmp/daemon.log")
  aud0=$(wc -l <"$data/audit.log")
  c0=$(cpu_ticks)
  gen=$("$self" --load "127.0.0.1:$port" "$n" "$mode" "$doc" 2>"$tmp/gen.err" || true)
  wait_idle || echo "  (calls still up after 5 min)"
  c1=$(cpu_ticks)
  hz=$(getconf CLK_TCK)
  late=$(tail -n +"$((log0 + 1))" "$tmp/daemon.log" |
         sed -n 's/.*: \([0-9]*\) frame(s) processed late.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
  intact=$(tail -n +"$((aud0 + 1))" "$data/audit.log" | grep '"type":"fax_received"' |
           count '"pages":1[,}]')
  calls=$(sed -n 's/.* \([0-9]*\) answered.*/\1/p' <<<"$gen")
  failed=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$gen")
  calls=${calls:-0} failed=${failed:-1}
  ok=0
  [[ $late -eq 0 && $calls -gt 0 && $failed -eq 0 && $intact -eq $calls ]] && ok=1
  printf '  %-5s N=%-4d late frames %-6d pages intact %d/%d  CPU %.1f ms per call  [%s]\n' \
    "$mode" "$n" "$late" "$intact" "$calls" \
    "$(echo "($c1 - $c0) * 1000 / $hz / ($calls + ($calls == 0))" | bc -l)" "$gen"
  [[ -s $tmp/gen.err ]] && sed 's/^/    generator: /' "$tmp/gen.err" | head -5
  # faxgwd says why a tick came late (its frames, or time outside them)
  if [[ $late -gt 0 ]]; then
    tail -n +"$((log0 + 1))" "$tmp/daemon.log" | grep 'tick came' | head -3 |
      sed 's/^faxgwd: warning: calls: /    faxgwd: /'
  fi
  # Late ticks in the generator too: the whole machine stalled (another
  # process, or the virtual machine's host: steal time), not faxgwd alone.
  # Said, and the level still counts as failed.
  if [[ $late -gt 0 && $gen != *" 0 of "* ]]; then
    echo "    (the generator was late too: a machine-wide stall)"
  fi
  retry=0
  [[ $late -gt 0 && $calls -gt 0 && $failed -eq 0 && $intact -eq $calls ]] && retry=1
  return 0
}

# A level whose only fault was late frames (every page intact) runs once
# more: one stall of a virtual machine makes one tick late for every call,
# which is the machine, not the load. A level fails when it fails twice;
# both runs are printed.
try_level() {  # $1: mode, $2: N
  level "$1" "$2"
  if (( !ok && retry )); then
    echo "    (late frames only: run once more)"
    level "$1" "$2"
  fi
  return 0
}

ramp() {  # $1: mode, $2: trunk_t38
  local mode=$1 good=0 bad=0 n=$START
  start_daemon "$2"
  echo "== $mode: ramp"
  while (( n <= MAX )); do
    try_level "$mode" "$n"
    if (( ok )); then good=$n; n=$((n * 2)); else bad=$n; break; fi
  done
  while (( bad > 0 && bad - good > good / 8 && bad - good > 2 )); do
    n=$(( (good + bad) / 2 ))
    try_level "$mode" "$n"
    if (( ok )); then good=$n; else bad=$n; fi
  done
  local first=''
  (( bad > 0 )) && first=" (first failing: $bad)"
  echo "$mode: highest N with no late frame and every page intact: $good$first"
  eval "best_$mode=$good"
  [[ $mode == g711 ]] && simulated
  stop_daemon
}

simulated() {
  # The simulated (loopback) calls on the same daemon, for the CPU figure.
  local c0 c1 hz pids=()
  c0=$(cpu_ticks)
  for _ in $(seq "$SIM_CALLS"); do
    "${as_user[@]}" "$build/faxgw" simulate incoming --file "$doc" --data "$data" >/dev/null 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  wait_idle || true
  c1=$(cpu_ticks)
  hz=$(getconf CLK_TCK)
  printf 'simulated (loopback) call: CPU %.1f ms per call (%d calls; both fax endpoints run in faxgwd)\n' \
    "$(echo "($c1 - $c0) * 1000 / $hz / $SIM_CALLS" | bc -l)" "$SIM_CALLS"
}

ramp g711 no
ramp t38 yes
echo "summary: G.711 $best_g711 calls, T.38 $best_t38 calls (target >= 300) on $(nproc) core(s)"
