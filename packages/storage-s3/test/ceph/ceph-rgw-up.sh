#!/usr/bin/env bash
# ceph-rgw-up.sh - start a throw-away single-node Ceph cluster (1 mon, 1 OSD,
# 1 radosgw) on loopback only, without systemd, and create one S3 user.
#
# Real Ceph RADOS Gateway (Debian bookworm packages, 16.2.x "pacific").
# Runs as root. Everything lives under $S3_DIR (wiped on every start);
# nothing is written to /etc/ceph or /var/lib/ceph.
#
# Environment (all optional):
#   S3_DIR          state dir (default: ${TMPDIR:-/tmp}/ceph-rgw)
#   S3_PORT         radosgw HTTP port on 127.0.0.1        (default 27480)
#   CEPH_MON_PORT   mon msgr2 port; msgr1 = this + 1     (default 23300)
#   CEPH_OSD_PORTS  "min max" port range for the OSD      (default "27100 27199")
#   CEPH_STORE      memstore | bluestore (bluestore = sparse file)  (default memstore)
#   CEPH_STORE_GB   capacity of the OSD store in GiB       (default 8)
#   S3_ACCESS_KEY / S3_SECRET_KEY   credentials to create  (default test values)
#   CEPH_NO_INSTALL=1   never run apt-get (fail if the binaries are missing)
#   CEPH_UP_TIMEOUT     seconds to wait for each step      (default 120)
#
# On success prints the env file path; `source "$S3_DIR/s3.env"` gives
# S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION, S3_FORCE_PATH_STYLE,
# the AWS_* equivalents and AWS_{REQUEST,RESPONSE}_CHECKSUM_* = WHEN_REQUIRED.
# Stop with ceph-rgw-down.sh (same S3_DIR).
set -euo pipefail

S3_DIR=${S3_DIR:-${TMPDIR:-/tmp}/ceph-rgw}
S3_PORT=${S3_PORT:-27480}
CEPH_MON_PORT=${CEPH_MON_PORT:-23300}
CEPH_OSD_PORTS=${CEPH_OSD_PORTS:-"27100 27199"}
CEPH_STORE=${CEPH_STORE:-memstore}
CEPH_STORE_GB=${CEPH_STORE_GB:-8}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-TESTACCESSKEY0000001}
S3_SECRET_KEY=${S3_SECRET_KEY:-testsecretkey0000000000000000000000000001}
CEPH_UP_TIMEOUT=${CEPH_UP_TIMEOUT:-120}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[ceph-rgw-up %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
  log "ERROR: $*"; dump_logs
  # stop whatever this start got running; keep $S3_DIR (logs) for inspection
  [ -x "$HERE/ceph-rgw-down.sh" ] && S3_DIR=$S3_DIR CEPH_KEEP_DIR=1 "$HERE/ceph-rgw-down.sh" || true
  exit 1
}
dump_logs() {
  [ -d "$S3_DIR/log" ] || return 0
  for f in "$S3_DIR"/log/*.log; do
    [ -s "$f" ] || continue
    echo "----- last lines of $f -----" >&2; tail -n 15 "$f" | cut -c1-300 >&2 || true
  done
}
# wait_for <seconds> <description> <command...>: bounded poll, 0.5 s step
wait_for() {
  local limit=$1 what=$2; shift 2
  local i max=$((limit * 2))
  for ((i = 0; i < max; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "timed out after ${limit}s waiting for: $what"
}

[ "$(id -u)" -eq 0 ] || { echo "must run as root" >&2; exit 1; }
case "$CEPH_STORE" in memstore | bluestore) ;; *) echo "CEPH_STORE must be memstore or bluestore" >&2; exit 1 ;; esac

# ---------------------------------------------------------------- install
if ! command -v ceph-mon >/dev/null || ! command -v ceph-osd >/dev/null ||
   ! command -v radosgw >/dev/null || ! command -v radosgw-admin >/dev/null ||
   ! command -v curl >/dev/null; then
  [ "${CEPH_NO_INSTALL:-0}" = 1 ] && { echo "ceph binaries missing and CEPH_NO_INSTALL=1" >&2; exit 1; }
  log "installing ceph-mon ceph-osd radosgw from Debian (about 60 MB download)"
  bash "$HERE/install.sh" >&2
fi

# ------------------------------------------- stale daemons, busy ports
CONF=$S3_DIR/ceph.conf
# PIDs of ceph-mon/ceph-osd/radosgw processes whose argv names exactly $CONF
our_pids() {
  local d exe
  for d in /proc/[0-9]*; do
    exe=$( { tr '\0' '\n' <"$d/cmdline"; } 2>/dev/null | head -n 1) || continue
    case "${exe##*/}" in ceph-mon | ceph-osd | radosgw) ;; *) continue ;; esac
    { tr '\0' '\n' <"$d/cmdline"; } 2>/dev/null | grep -qxF -- "$CONF" && echo "${d#/proc/}"
  done
  return 0
}
stale=$(our_pids | tr '\n' ' ')
if [ -n "${stale// /}" ]; then
  [ -x "$HERE/ceph-rgw-down.sh" ] || { echo "daemons of $S3_DIR still running (pids $stale); stop them first" >&2; exit 1; }
  log "stopping daemons left from an earlier start of $S3_DIR (pids $stale)"
  S3_DIR=$S3_DIR "$HERE/ceph-rgw-down.sh"
fi
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$CEPH_MON_PORT" "$((CEPH_MON_PORT + 1))" "$S3_PORT"; do
  if port_busy "$port"; then
    echo "port 127.0.0.1:$port is already in use; choose other ports (S3_PORT, CEPH_MON_PORT)" >&2
    exit 1
  fi
done
rm -rf "$S3_DIR"
mkdir -p "$S3_DIR"/{run,log,mon.a,osd.0,rgw}
T0=$(date +%s.%N)

read -r OSD_PMIN OSD_PMAX <<<"$CEPH_OSD_PORTS"
FSID=$(cat /proc/sys/kernel/random/uuid)
MON_V2="127.0.0.1:$CEPH_MON_PORT"
MON_V1="127.0.0.1:$((CEPH_MON_PORT + 1))"
STORE_BYTES=$((CEPH_STORE_GB * 1024 * 1024 * 1024))

# ---------------------------------------------------------------- config
cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = [v2:$MON_V2,v1:$MON_V1]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind port min = $OSD_PMIN
ms bind port max = $OSD_PMAX
run dir = $S3_DIR/run
pid file = $S3_DIR/run/\$name.pid
admin socket = $S3_DIR/run/\$name.asok
log file = $S3_DIR/log/\$name.log
keyring = $S3_DIR/\$name.keyring
crash dir = $S3_DIR/crash
log to stderr = false
err to stderr = true
# one OSD: size 1, no failure domain, small PG counts, no mgr needed
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
auth allow insecure global id reclaim = false

[mon]
mon data = $S3_DIR/mon.\$id
mon cluster log file = $S3_DIR/log/cluster.log
# commit map changes faster than the default 1 s (throw-away test cluster)
paxos propose interval = 0.1

[osd]
osd data = $S3_DIR/osd.\$id
osd objectstore = $CEPH_STORE
memstore device bytes = $STORE_BYTES
bluestore block path = $S3_DIR/osd.\$id/block.file
bluestore block create = true
bluestore block size = $STORE_BYTES
bluestore fsck on mkfs = false
osd memory target = 1073741824
osd crush update on start = true

[client.rgw.gw]
rgw data = $S3_DIR/rgw
rgw frontends = beast endpoint=127.0.0.1:$S3_PORT tcp_nodelay=1
rgw thread pool size = 64
rgw enable usage log = false
# deleted/overwritten object data is garbage-collected after 2 h by default;
# with memstore that keeps it in RAM, so collect it quickly instead
rgw gc obj min wait = 30
rgw gc processor period = 30
EOF

ceph_() { timeout 60 ceph -c "$CONF" --connect-timeout 15 "$@"; }
# the daemon named $1 wrote its pid file and that process is alive
started() {
  local pf=$S3_DIR/run/$1.pid pid
  wait_for 30 "pid file of $1" test -s "$pf"
  pid=$(cat "$pf"); [ -d "/proc/$pid" ] || die "$1 (pid $pid) exited right after start"
}

# ---------------------------------------------------------------- mon
log "creating mon"
ceph-authtool --create-keyring "$S3_DIR/mon.a.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$S3_DIR/client.admin.keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$S3_DIR/mon.a.keyring" --import-keyring "$S3_DIR/client.admin.keyring" >/dev/null
monmaptool --create --fsid "$FSID" --addv a "[v2:$MON_V2,v1:$MON_V1]" "$S3_DIR/monmap" >/dev/null
ceph-mon -c "$CONF" -i a --mkfs --monmap "$S3_DIR/monmap" --keyring "$S3_DIR/mon.a.keyring"
ceph-mon -c "$CONF" -i a >/dev/null 2>>"$S3_DIR/log/start.log"  # daemonizes; the parent returns once the mon runs
started mon.a
wait_for "$CEPH_UP_TIMEOUT" "mon quorum" ceph_ quorum_status

# ---------------------------------------------------------------- osd
log "creating osd.0 ($CEPH_STORE, ${CEPH_STORE_GB} GiB)"
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_ID=$(ceph_ osd new "$OSD_UUID")
[ "$OSD_ID" = 0 ] || die "unexpected OSD id '$OSD_ID'"
ceph-osd -c "$CONF" -i 0 --mkfs --mkkey --no-mon-config --osd-uuid "$OSD_UUID" >>"$S3_DIR/log/osd-mkfs.log" 2>&1 ||
  die "ceph-osd --mkfs failed"
ceph_ auth add osd.0 osd 'allow *' mon 'allow profile osd' mgr 'allow profile osd' \
  -i "$S3_DIR/osd.0.keyring" >/dev/null   # key written by --mkkey
ceph-osd -c "$CONF" -i 0 >/dev/null 2>>"$S3_DIR/log/start.log"  # daemonizes
started osd.0
osd_up() { ceph_ osd dump | grep -q '^osd\.0 up'; }
wait_for "$CEPH_UP_TIMEOUT" "osd.0 up" osd_up

# ------------------------------------------------------------- rgw pools
# radosgw would otherwise create them one by one (about 2 s each), partly at
# start-up and partly on the first CreateBucket / PutObject / multipart upload
# (a 2 s first request can trip short test timeouts). One interactive `ceph`
# session runs all commands: each `ceph` CLI start costs ~0.5-1 s of python.
log "creating rgw pools"
{
  for p in .rgw.root default.rgw.log default.rgw.control default.rgw.meta \
           default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
    echo "osd pool create $p 8 8 replicated"
    echo "osd pool application enable $p rgw"
  done
} | timeout 120 ceph -c "$CONF" --connect-timeout 15 >"$S3_DIR/log/pools.out" 2>&1 || die "pool creation failed"
[ "$(grep -c "enabled application 'rgw'" "$S3_DIR/log/pools.out")" = 7 ] ||
  { cat "$S3_DIR/log/pools.out" >&2; die "pool creation incomplete"; }

# ---------------------------------------------------------------- rgw
log "starting radosgw on 127.0.0.1:$S3_PORT"
ceph_ auth get-or-create client.rgw.gw mon 'allow rw' osd 'allow rwx' mgr 'allow rw' \
  -o "$S3_DIR/client.rgw.gw.keyring" >/dev/null
radosgw -c "$CONF" -n client.rgw.gw >/dev/null 2>>"$S3_DIR/log/start.log"  # daemonizes
started client.rgw.gw
# any HTTP answer will do (anonymous GET / is answered 403 AccessDenied)
rgw_up() { [ "$(curl -sS -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S3_PORT/")" != 000 ]; }
wait_for "$CEPH_UP_TIMEOUT" "radosgw answering on port $S3_PORT" rgw_up
RGW_PID=$(cat "$S3_DIR/run/client.rgw.gw.pid")
[ -d "/proc/$RGW_PID" ] || die "radosgw exited (port $S3_PORT taken by another process?)"

log "creating S3 user"
timeout 60 radosgw-admin -c "$CONF" user create --uid=s3test --display-name="S3 test user" \
  --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >"$S3_DIR/user.json" ||
  die "radosgw-admin user create failed"

# authenticated request must succeed (ListBuckets through curl's SigV4)
s3_ok() {
  # curl 7.88 does not add x-amz-content-sha256 itself; RGW rejects SigV4 without it
  curl -sS -m 5 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "http://127.0.0.1:$S3_PORT/" | grep -q ListAllMyBucketsResult
}
wait_for 30 "authenticated ListBuckets" s3_ok

cat >"$S3_DIR/s3.env" <<EOF
export S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export S3_ACCESS_KEY=$S3_ACCESS_KEY
export S3_SECRET_KEY=$S3_SECRET_KEY
export S3_REGION=us-east-1
export S3_FORCE_PATH_STYLE=true
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
export AWS_REGION=us-east-1
# Ceph 16 does not understand the aws-chunked/trailing-checksum uploads that
# @aws-sdk/client-s3 >= 3.729 sends by default (streamed PutObject -> 411
# MissingContentLength); these make the SDK send checksums only where required
export AWS_REQUEST_CHECKSUM_CALCULATION=WHEN_REQUIRED
export AWS_RESPONSE_CHECKSUM_VALIDATION=WHEN_REQUIRED
EOF
log "ready in $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s: endpoint http://127.0.0.1:$S3_PORT (env: $S3_DIR/s3.env; stop: ${HERE}/ceph-rgw-down.sh)"
echo "$S3_DIR/s3.env"
