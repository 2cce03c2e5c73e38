#!/usr/bin/env bash
# Installs Debian's PostgreSQL server (the real database the @ftpkit/accounts-pg tests run
# against). Idempotent: does nothing when initdb, pg_ctl and postgres are there. Needs root;
# called by scripts/install-system-deps.sh.
#
# The tests never use the system cluster the package creates (15/main on port 5432): they
# start their own throw-away cluster with up.sh. So that nothing listens that nobody uses, any
# system cluster the install started is stopped again (the data stays; nothing is removed).
set -euo pipefail
bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
stop_system_clusters() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  # Ver Cluster Port Status Owner Data-directory Log-file
  pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _port status _rest; do
    if [ "$status" = online ] || [[ "$status" == online,* ]]; then
      echo "accounts-pg/install: stopping the system cluster $version/$cluster (the tests start their own)"
      pg_ctlcluster "$version" "$cluster" stop -m fast || true
    fi
  done
}
dir=$(bindir)
if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
  echo "accounts-pg/install: PostgreSQL is installed ($dir)"
  stop_system_clusters
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "accounts-pg/install: not root; cannot install postgresql" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
started=$(date +%s)
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends postgresql >/dev/null
stop_system_clusters
echo "accounts-pg/install: installed postgresql in $(($(date +%s) - started)) s"
