#!/usr/bin/env bash
# Web benchmark, started by the bench_web program (make bench) from the
# repository root: bench_web.sh PATH_OF_BENCH_WEB
#
#  1. logs page with a filter, on 1 M transmission records in the audit
#     log: p50/p99 latency under wrk, 16 connections over HTTPS
#     (target p99 < 50 ms);
#  2. login page requests/s against nginx serving a static page of the same
#     size with the same certificate over TLS on loopback, in the same run.
#
# wrk and nginx-light are installed here through `mk/deps.sh bench` (make
# check does not need them). Everything lives in a temporary folder; the
# daemon and nginx started here are stopped at the end by their pids.
# Prints figures; asserts nothing.
set -euo pipefail
self=${1:?usage: bench_web.sh PATH_OF_BENCH_WEB}
build=$(dirname "$(dirname "$self")")
RECORDS=${BENCH_WEB_RECORDS:-1000000}
SECONDS_LOGS=${BENCH_WEB_LOGS_SECONDS:-60}
SECONDS_LOGIN=${BENCH_WEB_LOGIN_SECONDS:-10}
CONNS=16
FILTER='/logs?type=fax_failed&direction=out'

mk/deps.sh bench
make --no-print-directory BUILD="$build" "$build/faxgw" "$build/faxgwd" >/dev/null

tmp=$(mktemp -d /tmp/faxgw-bench-web-XXXXXX)
daemon_pid='' nginx_pid=''
finish() {
  [[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap finish EXIT

# As root the daemon drops to [general] user; the CLI and the generator run
# as that user too so every file stays its own.
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
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=https://127.0.0.1:$port

"${as_user[@]}" "$build/faxgw" init --data "$data" >/dev/null
t0=$(date +%s.%N)
"${as_user[@]}" "$self" --generate "$data" "$RECORDS"
t1=$(date +%s.%N)
printf 'audit log: %d records appended in %.1f s (group commit every 1000), %d MB\n' \
  "$RECORDS" "$(echo "$t1 - $t0" | bc)" $(( $(stat -c %s "$data/audit.log") / 1000000 ))

# The embedded default with our keys replaced, section by section.
awk -v data="$data" -v user="$user" -v listen="127.0.0.1:$port" '
  /^\[/ { sec = $0 }
  sec == "[general]" && /^data_dir *=/ { $0 = "data_dir = " data }
  sec == "[general]" && /^user *=/ { $0 = "user = " user }
  sec == "[security]" && /^scrypt_log2_n *=/ { $0 = "scrypt_log2_n = 14" }
  sec == "[audit]" && /^syslog *=/ { $0 = "syslog = no" }
  sec == "[web]" && /^listen *=/ { $0 = "listen = " listen }
  { print }' config/faxgw.ini >"$tmp/faxgw.ini"
chmod 600 "$tmp/faxgw.ini"
[[ $user == nobody ]] && chown nobody "$tmp/faxgw.ini"

"$build/faxgwd" -f -c "$tmp/faxgw.ini" >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
started=$(date +%s.%N)
for _ in $(seq 200); do
  curl -ks -o /dev/null "$url/login" && break
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$tmp/daemon.log" >&2; exit 1; }
  sleep 0.1
done

# The admin account from loopback (no setup code there); its cookie for wrk.
pw=Bench-Ferns-Whistle-42
cookie=$(curl -ks -o /dev/null -D - "$url/setup" \
  --data-urlencode user=admin --data-urlencode password=$pw --data-urlencode password2=$pw |
  tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(__Host-faxgw=[0-9a-f]*\).*/\1/p')
[[ -n $cookie ]] || { echo "bench_web: the admin account could not be made" >&2; exit 1; }
# The catalog's index of the log catches up once after start: on the
# daemon's one-second timer or at the first logs request, whichever comes
# first (the daemon serves nothing else meanwhile). Everything after this
# request is the steady state.
status=$(curl -ks -o "$tmp/logs.html" -w '%{http_code}' -H "Cookie: $cookie" "$url$FILTER")
[[ $status == 200 ]] || { echo "bench_web: $FILTER answered $status" >&2; exit 1; }
first_done=$(date +%s.%N)
matching=$(grep -o '[A-Za-z0-9 ]* matching records' "$tmp/logs.html" || true)
echo
printf -- '-- index catch-up after start: first logs page answered %.1f s after the daemon started\n' \
  "$(echo "$first_done - $started" | bc)"
grep -o 'audit index: .*' "$tmp/daemon.log" | sed 's/^/  daemon: /' || true
printf '  catalog: %d MB (index included)\n' $(( $(stat -c %s "$data/catalog.db") / 1000000 ))

echo
echo "-- logs page $FILTER ($matching of $RECORDS), one client, 5 requests in a row"
for _ in 1 2 3 4 5; do
  curl -ks -o /dev/null -w '%{time_total}\n' -H "Cookie: $cookie" "$url$FILTER"
done | awk '{ printf "  %.0f ms\n", $1 * 1000 }'

echo "-- logs page under wrk: $CONNS connections, 2 threads, ${SECONDS_LOGS} s (target p99 < 50 ms)"
wrk -t2 -c$CONNS -d"${SECONDS_LOGS}s" --timeout 120s --latency -H "Cookie: $cookie" \
  "$url$FILTER" | sed 's/^/  /'

login_bytes=$(curl -ks "$url/login" | wc -c)
echo
echo "-- login page ($login_bytes bytes) under wrk: $CONNS connections, 2 threads, ${SECONDS_LOGIN} s"
wrk -t2 -c$CONNS -d"${SECONDS_LOGIN}s" --latency "$url/login" | sed 's/^/  /'

# One connection, one request at a time: the latency floor of any page
# with a body (a flat ~44 ms here would be Nagle's algorithm holding the
# body's TLS record until the client's delayed ACK, not CPU).
echo "-- one connection in a row: login page, then the stylesheet"
for path in /login /static/style.css; do
  wrk -t1 -c1 -d3s --latency "$url$path" | awk -v p="$path" '
    /50%/ { p50 = $2 } /Requests\/sec/ { rps = $2 }
    END { printf "  %-18s p50 %s, %s requests/s\n", p, p50, rps }'
done
echo

# nginx: the same bytes as a static file, the daemon's own certificate,
# one worker (faxgwd serves from one thread), TLS on loopback.
mkdir -p "$tmp/nginx/www" "$tmp/nginx/logs"
curl -ks "$url/login" >"$tmp/nginx/www/login.html"
cp "$data/tls/server.crt" "$data/tls/server.key" "$tmp/nginx/"
chmod 644 "$tmp/nginx/www/login.html"
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
$( [[ $(id -u) -eq 0 ]] && echo "user nobody $(id -gn nobody);" )
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $tmp/nginx/server.crt;
    ssl_certificate_key $tmp/nginx/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $tmp/nginx/www;
    location = /login { default_type text/html; try_files /login.html =404; }
  }
}
EOF
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do
  curl -ks -o /dev/null "https://127.0.0.1:$nginx_port/login" && break
  sleep 0.1
done
nginx_bytes=$(curl -ks "https://127.0.0.1:$nginx_port/login" | wc -c)
echo "-- nginx $(nginx -v 2>&1 | sed 's/.*\///'), 1 worker, same page ($nginx_bytes bytes), same certificate"
wrk -t2 -c$CONNS -d"${SECONDS_LOGIN}s" --latency "https://127.0.0.1:$nginx_port/login" |
  sed 's/^/  /'
