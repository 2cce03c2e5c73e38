#!/usr/bin/env bash
# Installs Debian's HAProxy for @ftpkit/test-haproxy (and the multi-node tests that use it).
# Idempotent: does nothing when `haproxy` is already on PATH. Needs root.
# Debian's package enables a system service with /etc/haproxy/haproxy.cfg; the tests never use
# it (each test starts its own `haproxy -f <temp cfg> -db` on loopback ports).
set -euo pipefail
if command -v haproxy >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "test/haproxy/install.sh: haproxy is missing and this is not root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 -q update
apt-get -o DPkg::Lock::Timeout=300 -q install -y haproxy
# The packaged service listens on nothing the tests use, but it is not ours to run.
if command -v systemctl >/dev/null 2>&1; then systemctl stop haproxy >/dev/null 2>&1 || true; fi
