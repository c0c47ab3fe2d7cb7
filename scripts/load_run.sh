#!/usr/bin/env bash
# The load run: gunicorn (DEBUG=0) on a throwaway PostgreSQL cluster, the real plan with approved figures,
# anonymous public dashboards and the open-data API, hammered by wrk on 127.0.0.1 only; everything is
# stopped and removed afterwards (trap). See docs/bench.md.
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
    -h | --help) sed -n 2,9p "$0"; exit 0 ;;
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
gunicorn_pid=
cleanup() {
  if [[ -n $gunicorn_pid ]] && kill -0 "$gunicorn_pid" 2>/dev/null; then
    kill -TERM "$gunicorn_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$gunicorn_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$gunicorn_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

# Production settings; static files are collected into the throwaway folder, not into the repository.
export DEBUG=0
export SECRET_KEY=$("$python" -c 'import secrets; print(secrets.token_urlsafe(50))')
export ALLOWED_HOSTS=127.0.0.1
export PUBLIC_DASHBOARDS=1
export PYTHONPATH="$workdir:$root${PYTHONPATH:+:$PYTHONPATH}"
cat >"$workdir/load_run_settings.py" <<EOF
from ami_strategy.settings import *  # noqa: F403

STATIC_ROOT = "$workdir/static"
EOF
export DJANGO_SETTINGS_MODULE=load_run_settings

echo "Setting up: migrate, load_plan, approved figures, collectstatic…"
"$python" manage.py migrate --noinput -v 0
"$python" manage.py load_plan -v 0
"$python" scripts/bench.py --seed-load-figures
"$python" manage.py collectstatic --noinput -v 0

port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$gunicorn" ami_strategy.wsgi --bind "127.0.0.1:$port" --workers "$workers" --log-level warning \
  --access-logfile - --access-logformat '%(s)s %(r)s' >"$workdir/access.log" 2>"$workdir/gunicorn.log" &
gunicorn_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do
  curl -s -o /dev/null "$base/" && break
  kill -0 "$gunicorn_pid" 2>/dev/null || { cat "$workdir/gunicorn.log"; echo "FAIL: gunicorn did not start"; exit 1; }
  sleep 0.2
done

echo "Paths (each fetched once first, anonymous):"
for path in $paths; do
  status=$(curl -s -o /dev/null -w '%{http_code} %{size_download} bytes %{time_total}s' "$base$path")
  echo "  $path  $status"
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
pg=$("$python" -c 'import django; django.setup()
from django.db import connection
c = connection.cursor(); c.execute("SHOW server_version"); print(c.fetchone()[0])')
echo "Machine: $cpu, $(nproc) cores · Python $("$python" -c 'import platform; print(platform.python_version())') ·" \
  "Django $("$python" -m django --version) · PostgreSQL $pg · gunicorn $("$gunicorn" --version 2>&1 | tr -dc '0-9.') ($workers sync workers) · wrk $(wrk -v 2>&1 | awk 'NR==1{print $2}')"
echo "Load: $clients concurrent clients, $threads wrk threads, ${duration} s, keep-alive off (gunicorn sync workers), target 127.0.0.1 only"

# Bounded: wrk stops by itself after --duration. A request unanswered after 30 s (gunicorn's own worker
# timeout, and what a reverse proxy would allow) counts as a timeout error.
wrk -t "$threads" -c "$clients" -d "${duration}s" --timeout 30s --latency \
  -s scripts/wrk_report.lua "$base" -- $paths | sed -n '/--- load run ---/,$p'

errors=$(grep -cv '^2' "$workdir/access.log" || true)
echo "gunicorn access log: $(wc -l <"$workdir/access.log") requests, $errors not 2xx"
if [[ $errors -gt 0 ]]; then
  grep -v '^2' "$workdir/access.log" | sort | uniq -c | sort -rn | head -5
fi
if [[ -s $workdir/gunicorn.log ]]; then
  echo "gunicorn errors/warnings:"
  tail -20 "$workdir/gunicorn.log"
fi
