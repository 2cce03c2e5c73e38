#!/usr/bin/env bash
# Installs the Debian packages the test suite drives, once per machine (idempotent, fast
# when done). Needs root (CI runs as root on a fresh Debian 12). Each area's installer is
# called from here so that one command prepares everything.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: not root; assuming the system packages are already installed" >&2
  exit 0
fi
for installer in test/interop/peers/install.sh packages/storage-s3/test/ceph/install.sh \
  packages/accounts-pg/test/postgres/install.sh test/haproxy/install.sh; do
  if [ -f "$installer" ]; then
    echo "install-system-deps: $installer"
    bash "$installer"
  fi
done
# Headless Chromium for the web demo's end-to-end tests (apps/web-demo, driven by
# playwright-core; never `playwright install`: browser downloads are not reachable).
if [ ! -x /usr/bin/chromium ]; then
  echo "install-system-deps: chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -q
  apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends chromium
fi
