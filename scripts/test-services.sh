#!/usr/bin/env bash
# The services the server-backed test suites need, set up by the project itself (no machine is
# prepared by hand): PostgreSQL 15 on 127.0.0.1:5432, trust authentication for local connections
# (user postgres), databases `test` and `root`; and moto in server mode (PyPI moto[server], pinned),
# a real implementation of the DynamoDB and DynamoDB Streams APIs, in a virtual environment inside
# the checkout (.venv-test/, gitignored), which the stream consumer tests start themselves on
# loopback ports (test/support/moto-server.ts finds .venv-test/bin/moto_server). Idempotent: when all is already so, it changes
# nothing and takes about a second. Prints one line saying what it did. Runs as root.
set -euo pipefail

version=15
cluster=main
conf_dir=/etc/postgresql/$version/$cluster
did=()

if [ "$(id -u)" -ne 0 ]; then
  echo "test-services: run as root (it installs and configures PostgreSQL $version)" >&2
  exit 1
fi

if [ ! -x /usr/lib/postgresql/$version/bin/postgres ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "postgresql-$version" >/dev/null
  did+=("installed postgresql-$version")
fi

if [ ! -d "$conf_dir" ]; then
  pg_createcluster "$version" "$cluster" >/dev/null
  did+=("created cluster $version/$cluster")
fi

# Only loopback, and trust: the tests connect as postgres without a password. Files are rewritten
# only when they differ, so a second run changes nothing and restarts nothing.
restart=false
write_if_changed() { # path content
  if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then
    printf '%s\n' "$2" >"$1"
    chown postgres:postgres "$1"
    restart=true
  fi
}
write_if_changed "$conf_dir/pg_hba.conf" "# written by scripts/test-services.sh: test server, loopback only
local all all trust
host all all 127.0.0.1/32 trust
host all all ::1/128 trust"
write_if_changed "$conf_dir/conf.d/test-services.conf" "# written by scripts/test-services.sh
listen_addresses = '127.0.0.1'
port = 5432"
$restart && did+=("configured loopback trust")

running() { pg_ctlcluster "$version" "$cluster" status >/dev/null 2>&1; }
if running; then
  if $restart; then
    pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" restart
    did+=("restarted")
  fi
else
  pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
  did+=("started")
fi

for _ in $(seq 1 60); do
  pg_isready -h 127.0.0.1 -p 5432 -q && break
  sleep 0.5
done
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "test-services: PostgreSQL $version did not answer on 127.0.0.1:5432; see /var/log/postgresql/postgresql-$version-$cluster.log" >&2
  exit 1
fi

for db in test root; do
  exists=$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'")
  if [ "$exists" != 1 ]; then
    psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE \"$db\"" >/dev/null
    did+=("created database $db")
  fi
done

moto_version=5.2.5
venv="$(cd "$(dirname "$0")/.." && pwd)/.venv-test"
moto_installed() {
  [ -x "$venv/bin/moto_server" ] &&
    [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" = "$moto_version" ]
}
if ! moto_installed; then
  if ! python3 -m venv --clear "$venv" >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends python3-venv python3-pip >/dev/null
    python3 -m venv --clear "$venv" >/dev/null
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$moto_version" >/dev/null
  moto_installed || { echo "test-services: moto $moto_version did not install into $venv" >&2; exit 1; }
  did+=("installed moto $moto_version into .venv-test")
fi

if [ ${#did[@]} -eq 0 ]; then
  echo "test-services: PostgreSQL $version already up on 127.0.0.1:5432 (databases test, root), moto $moto_version in .venv-test; nothing changed"
else
  summary=$(IFS=,; echo "${did[*]}")
  echo "test-services: PostgreSQL $version on 127.0.0.1:5432, moto $moto_version in .venv-test: ${summary//,/, }"
fi
