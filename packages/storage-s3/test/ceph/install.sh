#!/usr/bin/env bash
# Installs the Debian packages of a one-node Ceph cluster with a RADOS Gateway (the real S3
# store the @ftpkit/storage-s3 tests run against): ceph-mon, ceph-osd, radosgw. Idempotent:
# does nothing when the binaries are there. Needs root; called by scripts/install-system-deps.sh.
set -euo pipefail
have() { command -v "$1" >/dev/null 2>&1; }
if have ceph-mon && have ceph-osd && have radosgw && have radosgw-admin && have ceph && have curl; then
  echo "storage-s3/install: ceph-mon, ceph-osd and radosgw are installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "storage-s3/install: not root; cannot install ceph-mon ceph-osd radosgw" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
started=$(date +%s)
apt-get update -qq -o DPkg::Lock::Timeout=300
# ceph-mgr is not needed (no mgr runs); without recommends the install is ~62 packages, ~61 MB.
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 \
  ceph-mon ceph-osd radosgw curl >/dev/null
echo "storage-s3/install: installed ceph-mon ceph-osd radosgw in $(($(date +%s) - started)) s"
