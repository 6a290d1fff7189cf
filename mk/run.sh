#!/usr/bin/env bash
# `make run`: a device in ./run/data and faxgwd in the foreground on it,
# with the simulated trunk and device lines. Ctrl-C stops it cleanly.
set -euo pipefail
build=${1:-build}
top=$(pwd)
data="$top/run/data"
ini="$top/run/faxgw.ini"
sample="$top/$build/samples/letter.tif"
mkdir -p run

if [[ ! -e "$data/catalog.db" ]]; then
  echo "=== a new device in $data"
  "$build/faxgw" init --data "$data"
fi

# The shipped config with only the data directory (and, when not root,
# the user) changed.
user=faxgw
[[ $(id -u) -eq 0 ]] || user=$(id -un)
sed -e "s|^data_dir = .*|data_dir = $data|" -e "s|^user = .*|user = $user|" \
  config/faxgw.ini > "$ini"
if [[ $(id -u) -eq 0 ]]; then
  if id faxgw >/dev/null 2>&1; then
    chown -R faxgw: "$data"
  else
    echo "faxgw: no user faxgw to run as; run mk/deps.sh as root first" >&2
    exit 1
  fi
fi

cat <<EOT

=== faxgwd is starting in the foreground (Ctrl-C stops it). In another terminal:

  $build/faxgw status --data $data
  $build/faxgw simulate incoming --data $data --file $sample
  $build/faxgw simulate incoming --data $data --file $sample --sub 1234 --sid 0000   # refused until mailbox 1234 exists
  $build/faxgw log show --data $data
  $build/faxgw log verify --data $data
  kill -HUP \$(cat $data/faxgwd.pid)      # reload $ini

Config: $ini   Control socket: $data/control.sock
The trunk and device lines are simulations inside faxgwd.
(The line-test demo of the fax engine alone: make demo)

EOT
exec "$build/faxgwd" -f -c "$ini"
