#!/usr/bin/env bash
# `make demo`: faxes the generated sample letter through the simulated
# line, over audio and over T.38, with and without an F-code, and shows what
# each side saw. The received copies land in ./run/.
set -euo pipefail
build=${1:-build}
sample="$build/samples/letter.tif"
out=run
mkdir -p "$out"

demo() {
  local title=$1; shift
  echo
  echo "=== $title"
  echo "\$ faxgw line-test $*"
  "$build/faxgw" line-test --force "$@"
}

demo "audio call, V.17 with ECM, through G.711 u-law" \
  --send "$sample" --law ulaw --out "$out/received-audio.tif"
demo "audio call, V.29 without ECM, A-law, 30 dB SNR" \
  --send "$sample" --modem v29 --ecm off --law alaw --snr 30 --out "$out/received-v29.tif"
demo "T.38 call with 3% packet loss" \
  --send "$sample" --t38 --loss 3 --out "$out/received-t38.tif"
demo "confidential fax: F-code 1234 (T.30 SUB) with its password 0000 (T.30 SID)" \
  --send "$sample" --sub 1234 --sid 0000 --out "$out/received-fcode.tif"
echo
echo "Received copies are in ./$out/. See README.md for what comes next."
