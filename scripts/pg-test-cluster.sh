#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `start DIR` runs initdb into DIR (trust authentication, 127.0.0.1 only,
# a free port), starts it, creates the extension pgvector needs to be present (scripts/pgvector.sh installs it) and
# prints the connection URL; `stop DIR` stops it and removes DIR. `halt DIR` stops the server keeping its data and
# `resume DIR` starts it again on the same port (the tests of a database that goes away mid-use). PostgreSQL refuses to run as root, so the cluster
# belongs to the `postgres` user when the script runs as root.
set -euo pipefail
command=${1:-}
dir=${2:-}
[ -n "$command" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|halt|resume DIR" >&2; exit 2; }
major=$(ls /usr/lib/postgresql | sort -n | tail -1)
bin="/usr/lib/postgresql/$major/bin"
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
run_server() {
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-c listen_addresses=127.0.0.1 -p $1 -k $dir -c fsync=on -c max_connections=200" start >/dev/null
}
case "$command" in
  start)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    echo "$port" >"$dir/port"
    run_server "$port"
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAtc "create database alpaca_rag_test" >/dev/null
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d alpaca_rag_test -qAtc "create extension if not exists vector" >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/alpaca_rag_test"
    ;;
  halt)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
  resume)
    run_server "$(cat "$dir/port")"
    ;;
  stop)
    if [ -d "$dir/data" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true; fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop|halt|resume DIR" >&2; exit 2 ;;
esac
