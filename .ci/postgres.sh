#!/usr/bin/env bash
# CI: make sure Debian's PostgreSQL server binaries are installed, for the store tests' throwaway clusters.
# The tests start and stop their own servers (partitioner/history/store/testing.py: initdb + pg_ctl in a temp
# dir on a free 127.0.0.1 port, as the unprivileged 'postgres' user when run as root); nothing is started here.
set -euo pipefail
found() { compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || command -v pg_ctl >/dev/null; }
if ! found; then
    if [ "$(id -u)" != 0 ]; then
        echo "postgres.sh: PostgreSQL server binaries missing; run as root or: apt-get install -y postgresql" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
# the package's own cluster is not needed (the tests make their own); starting none here keeps CI clean
ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 | sed 's/^/postgres.sh: server binaries in /'
