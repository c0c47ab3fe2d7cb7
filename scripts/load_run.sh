#!/usr/bin/env bash
# The load run: gunicorn (DEBUG=0) on a throwaway PostgreSQL cluster, the real plan with approved figures,
# hammered by wrk on 127.0.0.1 only, three runs of the same length: an empty view through the same middleware
# (the floor), the anonymous public dashboards and the open-data API, then those pages on two gunicorn
# instances on the one database. Everything is stopped and removed afterwards (trap). See docs/bench.md.
#
#   scripts/load_run.sh [--duration SECONDS] [--clients N] [--threads N] [--workers N] [--paths "/ /goals/G1/"]
#
# Defaults: 50 clients for 60 seconds, 2 wrk threads, gunicorn 2×cores+1 sync workers.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

duration=60
clients=50
threads=2
workers=$(($(nproc) * 2 + 1))
paths="/ /goals/G1/ /goals/G3/ /indicators/ /indicators/G3-M1-K1/ /api/v1/indicators.json /api/v1/indicators.csv"
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --paths) paths=$2; shift 2 ;;
    -h | --help) sed -n 2,10p "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
for n in "$duration" "$clients" "$threads" "$workers"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "durations and counts must be positive integers" >&2; exit 2; }
done
((threads <= clients)) || threads=$clients

# Always a throwaway cluster of our own, whatever DATABASE_URL the caller has set.
if [[ -z ${AMI_LOAD_RUN_INNER:-} ]]; then
  AMI_LOAD_RUN_INNER=1 exec scripts/with-postgres "$0" --duration "$duration" --clients "$clients" \
    --threads "$threads" --workers "$workers" --paths "$paths"
fi

if ! command -v wrk >/dev/null && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "Installing wrk (Debian package)…"
  apt-get install -y -q wrk >/dev/null || true
fi
if ! command -v wrk >/dev/null; then
  echo "FAIL: wrk is not installed (Debian: apt-get install -y wrk)."
  exit 1
fi
python=$root/.venv/bin/python
gunicorn=$root/.venv/bin/gunicorn

workdir=$(mktemp -d "${TMPDIR:-/tmp}/ami-load.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

# Production settings; static files are collected into the throwaway folder, not into the repository. The
# URLconf is the app's own plus one empty view (scripts/bench_urls.py), the floor the pages are compared to.
export DEBUG=0
export SECRET_KEY=$("$python" -c 'import secrets; print(secrets.token_urlsafe(50))')
export ALLOWED_HOSTS=127.0.0.1
export PUBLIC_DASHBOARDS=1
export PYTHONPATH="$workdir:$root:$root/scripts${PYTHONPATH:+:$PYTHONPATH}"
cat >"$workdir/load_run_settings.py" <<SETTINGS
from ami_strategy.settings import *  # noqa: F403

STATIC_ROOT = "$workdir/static"
ROOT_URLCONF = "bench_urls"
SETTINGS
export DJANGO_SETTINGS_MODULE=load_run_settings

echo "Setting up: migrate, load_plan, approved figures, collectstatic…"
"$python" manage.py migrate --noinput -v 0
"$python" manage.py load_plan -v 0
"$python" scripts/bench.py --seed-load-figures
"$python" manage.py collectstatic --noinput -v 0

free_port() {
  "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME WORKERS: a gunicorn on a free port, answering; its base URL in $server_url.
start_server() {
  local name=$1 count=$2 port pid
  port=$(free_port)
  "$gunicorn" ami_strategy.wsgi --bind "127.0.0.1:$port" --workers "$count" --log-level warning \
    --access-logfile - --access-logformat '%(s)s %(r)s' \
    >>"$workdir/access-$name.log" 2>"$workdir/gunicorn-$name.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    kill -0 "$pid" 2>/dev/null || { cat "$workdir/gunicorn-$name.log"; echo "FAIL: gunicorn $name did not start"; exit 1; }
    sleep 0.2
  done
  server_url="http://127.0.0.1:$port"
}

# load LABEL CLIENTS BASE PATH…: wrk for the run's duration, its report in $workdir/LABEL.txt. Bounded: wrk
# stops by itself; a request unanswered after 30 s (gunicorn's own worker timeout, and what a reverse proxy
# would allow) counts as a timeout error.
load() {
  local label=$1 count=$2 base=$3
  shift 3
  wrk -t "$threads" -c "$count" -d "${duration}s" --timeout 30s --latency \
    -s scripts/wrk_report.lua "$base" -- "$@" | sed -n '/--- load run ---/,$p' >"$workdir/$label.txt"
}

field() { awk -v key="$2" '$1 == key {print $2}' "$workdir/$1.txt"; }

# check_log NAME: the server's own count of requests and of non-2xx answers, as a cross-check; then emptied
# (gunicorn appends to it, see start_server, so emptying it leaves no gap of zero bytes before the next line).
check_log() {
  local log=$workdir/access-$1.log bad
  bad=$(grep -cv '^2' "$log" || true)
  echo "gunicorn $1 access log: $(wc -l <"$log") requests, $bad not 2xx"
  if [[ $bad -gt 0 ]]; then grep -v '^2' "$log" | sort | uniq -c | sort -rn | head -5; fi
  if [[ -s $workdir/gunicorn-$1.log ]]; then
    echo "gunicorn $1 errors/warnings:"
    tail -20 "$workdir/gunicorn-$1.log"
  fi
  : >"$log"
}

start_server one "$workers"
base=$server_url
empty=/__bench__/empty/
echo "Paths (anonymous; each fetched twice, the second time kept since the first unless the page is too large):"
for path in $empty $paths; do
  first=$(curl -s -o /dev/null -w '%{http_code} %{size_download} bytes %{time_total}s' "$base$path")
  second=$(curl -s -o /dev/null -w '%{time_total}s' "$base$path")
  echo "  $path  $first, then $second"
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
pg=$("$python" -c 'import django; django.setup()
from django.db import connection
c = connection.cursor(); c.execute("SHOW server_version"); print(c.fetchone()[0])')
echo "Machine: $cpu, $(nproc) cores · Python $("$python" -c 'import platform; print(platform.python_version())') ·" \
  "Django $("$python" -m django --version) · PostgreSQL $pg · gunicorn $("$gunicorn" --version 2>&1 | tr -dc '0-9.') ($workers sync workers) · wrk $(wrk -v 2>&1 | awk 'NR==1{print $2}')"
echo "Load: $clients concurrent clients, $threads wrk threads, ${duration} s each run, keep-alive off (gunicorn sync workers), target 127.0.0.1 only"

echo
echo "1. The floor: an empty view ($empty) through the same middleware and gunicorn"
load empty "$clients" "$base" "$empty"
cat "$workdir/empty.txt"
check_log one

echo
echo "2. The public pages, in turn: $paths"
# shellcheck disable=SC2086 # the paths are words
load pages "$clients" "$base" $paths
cat "$workdir/pages.txt"
check_log one

echo
half=$(((workers + 1) / 2))
echo "3. The same pages on two gunicorn instances ($half workers each) on the one PostgreSQL, half the clients on each"
kill -TERM "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
start_server A "$half"
first=$server_url
start_server B "$half"
second=$server_url
# shellcheck disable=SC2086
load two-A $(((clients + 1) / 2)) "$first" $paths &
loading=$!
# shellcheck disable=SC2086
load two-B $((clients / 2)) "$second" $paths
wait "$loading"
for name in A B; do
  echo "instance $name:"
  sed 's/^/  /' "$workdir/two-$name.txt"
  check_log "$name"
done

echo
echo "--- summary ---"
"$python" - "$(field empty throughput)" "$(field pages throughput)" "$(field two-A throughput)" \
  "$(field two-B throughput)" "$(field empty errors)" "$(field pages errors)" "$(field two-A errors)" \
  "$(field two-B errors)" <<'PY'
import sys
from decimal import Decimal

empty, pages, a, b = (Decimal(x) for x in sys.argv[1:5])
errors = sum(int(x) for x in sys.argv[5:9])
ratio = pages / empty * 100 if empty else Decimal(0)
verdict = "met" if ratio >= 25 and errors == 0 else "NOT met"
print(f"empty view          {empty:.1f} req/s")
print(f"public pages        {pages:.1f} req/s = {ratio:.1f} % of the empty view (target ≥ 25 %, zero errors: {verdict})")
print(f"two instances       {a + b:.1f} req/s ({a:.1f} + {b:.1f})")
print(f"errors, all runs    {errors}")
PY
