#!/usr/bin/env bash
# The web interface's end-to-end tests: Debian's Chromium, driven by
# playwright-core (pinned in tests/e2e/package-lock.json, installed with
# npm ci; no browser download), against real faxgwd daemons that the tests
# start on free loopback ports. Screenshots go to BUILD/e2e-artifacts.
# Usage: e2e.sh BUILD
set -euo pipefail
build=${1:?usage: e2e.sh BUILD}
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

for tool in node npm /usr/bin/chromium; do
  command -v "$tool" >/dev/null ||
    { echo "e2e: $tool not found (mk/deps.sh installs it)" >&2; exit 1; }
done
for prog in faxgw faxgwd; do
  [[ -x $build/$prog ]] || { echo "e2e: $build/$prog not built" >&2; exit 1; }
done

# node_modules is rebuilt only when the lock file changed.
stamp=tests/e2e/node_modules/.faxgw-lock
if ! cmp -s tests/e2e/package-lock.json "$stamp" 2>/dev/null; then
  echo "e2e: npm ci (playwright-core, no browser download)"
  (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
     npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  cp tests/e2e/package-lock.json "$stamp"
fi

# tiffsame: the test suite's page-by-page TIFF comparison as a tool.
make --no-print-directory BUILD="$build" "$build/libtestsupport.a" >/dev/null
mkdir -p "$build/e2e"
san=()
[[ $build == *-san ]] && san=(-fsanitize=address,undefined -fno-omit-frame-pointer)
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 "${san[@]}" -I. -I/usr/include/iniparser \
  -o "$build/e2e/tiffsame" tests/e2e/tiffsame.c "$build/libtestsupport.a" \
  "$build/libweb.a" "$build/libgateway.a" "$build/libstorage.a" "$build/libdsp.a" \
  "$build/libcommon.a" -lspandsp -ltiff -lssl -lcrypto -lsqlite3 -levent -levent_openssl \
  -liniparser -lpng -lm -lcriterion

artifacts=$build/e2e-artifacts
rm -rf "$artifacts"
mkdir -p "$artifacts"
pids=$(mktemp -d)
# Whatever happens, no daemon of ours outlives the run: each test file
# notes its daemon's pid here and removes it when it stopped it.
stop_daemons() {
  for f in "$pids"/*; do
    [[ -e $f ]] || continue
    kill -KILL "$(basename "$f")" 2>/dev/null || true
  done
  rm -rf "$pids"
}
trap stop_daemons EXIT

# The files run one after the other, in name order (01_auth first).
export FAXGW_BUILD=$build FAXGW_E2E_ARTIFACTS=$artifacts FAXGW_E2E_PIDS=$pids
export FAXGW_E2E_TIFFSAME=$build/e2e/tiffsame
export FAXGW_TESTDATA=${FAXGW_TESTDATA:-$(cd .. && pwd)/shared/testdata}
mapfile -t files < <(ls tests/e2e/*.test.mjs | sort)
echo "== e2e: ${#files[@]} files in Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}')"
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
echo "e2e: all browser tests passed; screenshots in $artifacts"
