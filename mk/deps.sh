#!/usr/bin/env bash
# Installs the Debian packages faxgw needs to build, run and test, and only
# those that are missing. Says what it installs. Fast when all are present.
set -euo pipefail

packages=(
  build-essential pkg-config clang libclang-rt-14-dev
  libspandsp-dev libtiff-dev libtiff-tools libssl-dev libiniparser-dev
  libcriterion-dev libsqlite3-dev sqlite3 libevent-dev libosip2-dev
  ghostscript poppler-utils
  libpng-dev  # faxgw send reads PNG documents (Ghostscript cannot)
  chromium    # the browser of the web end-to-end tests (mk/e2e.sh)
  sipsak      # a real SIP client registering to faxgwd (test_sip_register_client)
  baresip-core  # a real SIP phone that registers and calls (test_sip_register_client)
)
# node and npm run those tests; Debian's packages only where none is
# installed (a node from elsewhere brings its own npm).
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
# `deps.sh bench` adds what make bench needs besides (wrk, nginx).
[[ ${1:-} == bench ]] && packages+=(wrk nginx-light)

# The service account faxgwd drops to when started as root: a system user
# without a login shell, home /var/lib/faxgw (its data directory). Only
# root can create it; others are told nothing (they run faxgwd as
# themselves).
service_user() {
  [[ $(id -u) -eq 0 ]] || return 0
  id faxgw >/dev/null 2>&1 && return 0
  echo "faxgw: creating the service user faxgw (system account, no login shell, home /var/lib/faxgw)"
  useradd --system --home-dir /var/lib/faxgw --no-create-home \
    --shell /usr/sbin/nologin --user-group faxgw ||
    { echo "faxgw: could not create the user faxgw" >&2; exit 1; }
}
trap service_user EXIT

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "faxgw: installing missing Debian packages: ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "faxgw: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
