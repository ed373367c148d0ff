#!/usr/bin/env bash
# Makes sure the services the tests use are up on this machine — PostgreSQL, Redis and
# RabbitMQ on their standard local ports — starting any that is down, and drops test
# databases that an interrupted earlier run left behind; installs promtool, Chromium and
# moto's S3 server if missing.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do
    if port_open "$port"; then return 0; fi
    sleep 1
  done
  echo "error: $name did not come up on 127.0.0.1:$port" >&2
  return 1
}

if ! port_open 5432; then
  echo "==> starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  wait_for_port PostgreSQL 5432
fi

if ! port_open 6379; then
  echo "==> starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for_port Redis 6379
fi

if ! port_open 5672; then
  echo "==> starting RabbitMQ"
  rabbitmq-server -detached
  rabbitmqctl await_startup --timeout 120
  wait_for_port RabbitMQ 5672
fi

# promtool checks the /metrics exposition (Debian package prometheus).
if ! command -v promtool >/dev/null; then
  echo "==> installing promtool (Debian package prometheus)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null \
    || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null; }
fi

# Chromium drives the console's end-to-end test (Playwright's own browser download does
# not work everywhere; Debian's package does).
if [ ! -x /usr/bin/chromium ]; then
  echo "==> installing Chromium (Debian package chromium)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null \
    || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null; }
fi

# moto's S3-compatible server stands in for S3 in the payload archive's tests (PyPI
# moto[server]), in a virtual environment of its own unless one is on the PATH.
if ! command -v moto_server >/dev/null && [ ! -x "$HOME/.cache/companyos-moto/bin/moto_server" ]; then
  echo "==> installing moto's S3 server (PyPI moto[server])"
  python3 -m venv "$HOME/.cache/companyos-moto"
  "$HOME/.cache/companyos-moto/bin/pip" install --quiet --disable-pip-version-check "moto[server]==5.2.1"
fi

# Leftover databases of test runs that were killed before cleaning up.
if command -v psql >/dev/null; then
  for database in $(psql -h 127.0.0.1 -U postgres -Atc \
      "SELECT datname FROM pg_database WHERE datname LIKE 'companyos\_test\_%'" 2>/dev/null); do
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null || true
  done
fi
echo "==> services up: PostgreSQL :5432, Redis :6379, RabbitMQ :5672"
