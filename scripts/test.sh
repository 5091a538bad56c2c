#!/usr/bin/env bash
# `make test`: install the system packages the suite needs (as root: PostgreSQL for the store's
# PostgreSQL variants, Chromium for the dashboard's browser tests, tinyproxy for the provider calls
# through a forward proxy), start a throwaway PostgreSQL cluster, then run ruff and pytest with the
# project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

if [ "$(id -u)" = 0 ]; then
  missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v tinyproxy >/dev/null 2>&1 || missing+=(tinyproxy)  # the tests start their own, on a free port
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

if [ -z "${IRISGATE_TEST_POSTGRES_URL:-}" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
    && { [ "$(id -u)" != 0 ] || id postgres >/dev/null 2>&1; }; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  PGDATA=$(mktemp -d /tmp/irisgate-test-pg.XXXXXX)
  PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$PGDATA"; as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres >/dev/null
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
    -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  trap '"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null; rm -rf "$PGDATA"' EXIT
  export IRISGATE_TEST_POSTGRES_URL="postgresql+asyncpg://postgres@127.0.0.1:$PGPORT/postgres"
fi

$BIN/ruff check src tests
$BIN/python -m pytest -q "$@"
