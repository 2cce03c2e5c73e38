#!/bin/bash
# Installs the real third-party FTP peers (servers and clients) used by @ftpkit/interop.
# Run as root, non-interactively (CI=true, no stdin). Idempotent: a second run only checks.
#
#   apt (no conflicts):  curl lftp python3 openssl tmux iproute2 vsftpd libpam-pwdfile
#                        python3-pyftpdlib python3-openssl
#   dpkg -x (they conflict with vsftpd, all provide ftp-server):
#                        pure-ftpd                                   -> $PEERS_DIR/pure-ftpd
#                        proftpd-basic proftpd-core proftpd-mod-crypto -> $PEERS_DIR/proftpd
#   plus the lib* dependencies of those that are not installed, unpacked into the same tree
#   (run the binaries with LD_LIBRARY_PATH=<tree>/usr/lib/x86_64-linux-gnu).
#
# vsftpd: each instance has a throwaway virtual user checked by pam_pwdfile (libpam-pwdfile) through
# its own /etc/pam.d/ftpkit-vsftpd-<id> file, mapped (guest_enable) to the local user ftpkitpeer
# created here (system user, locked password, no login shell).
set -euo pipefail

PEERS_DIR=${FTPKIT_PEERS_DIR:-/opt/ftpkit-peers}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEER_USER=ftpkitpeer
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 -q -y)

step() { printf '[interop-install] %s\n' "$*"; }
die() { printf '[interop-install] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
# Debian's python3, not whatever python3 comes first in PATH (pyenv shims, venvs): the
# python3-* packages below only exist for /usr/bin/python3.
PY=/usr/bin/python3
quiet() { # run a command, show its output only if it fails
  local log
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then cat "$log" >&2; rm -f "$log"; die "failed: $*"; fi
  rm -f "$log"
}
exec </dev/null

updated=no
apt_update_once() {
  if [ "$updated" = no ]; then
    step "apt-get update"
    quiet "${APT[@]}" update
    updated=yes
  fi
}
is_installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
listening_on() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# ---------------------------------------------------------------------------------------------
# 1. apt packages that do not conflict with each other.
APT_PKGS=(curl lftp python3 openssl tmux iproute2 vsftpd libpam-pwdfile python3-pyftpdlib python3-openssl)
missing=()
for p in "${APT_PKGS[@]}"; do is_installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  step "apt packages already installed: ${APT_PKGS[*]}"
else
  apt_update_once
  # Keep the packages' maintainer scripts from starting a system service (vsftpd on port 21).
  own_policy=no
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=yes
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  step "apt-get install ${missing[*]} (services blocked by policy-rc.d)"
  quiet "${APT[@]}" install --no-install-recommends "${missing[@]}"
  if [ "$own_policy" = yes ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
fi

# vsftpd's package may have started (or be set to start) a system service on port 21: stop and
# disable it. Its init script is not used to stop it: `start-stop-daemon --exec /usr/sbin/vsftpd`
# would also kill the test instances. Only the instance running /etc/vsftpd.conf is killed, by PID.
if [ -x /usr/sbin/vsftpd ]; then
  for pid in $(pgrep -x vsftpd 2>/dev/null || true); do
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    case "$args" in
    "/usr/sbin/vsftpd " | "/usr/sbin/vsftpd /etc/vsftpd.conf ")
      step "stopping the vsftpd system service (PID $pid)"
      kill "$pid" 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do listening_on 21 || break; sleep 0.2; done
      ;;
    esac
  done
  if ls /etc/rc[2-5].d/S*vsftpd >/dev/null 2>&1; then
    step "update-rc.d vsftpd disable"
    update-rc.d vsftpd disable >/dev/null 2>&1 || true
  fi
fi
if listening_on 21; then
  step "WARNING: something still listens on port 21 (not ours; the interop peers use their own high ports)"
else
  step "nothing listens on port 21"
fi

# pyftpdlib must have its TLS handler (needs pyOpenSSL)
"$PY" -c 'from pyftpdlib.handlers import TLS_FTPHandler' 2>/dev/null ||
  die "pyftpdlib has no TLS_FTPHandler (python3-openssl missing?)"
step "pyftpdlib $("$PY" -c 'import pyftpdlib; print(pyftpdlib.__ver__)') with TLS_FTPHandler"

# ---------------------------------------------------------------------------------------------
# 2. Conflicting servers: apt-get download + dpkg -x, with missing lib dependencies.
unpack_tree() { # $1=name $2=binary to check (relative to tree) $3...=packages
  local name=$1 check=$2
  shift 2
  local dir="$PEERS_DIR/$name" debs="$PEERS_DIR/$name/debs"
  if [ -f "$dir/.installed" ] && [ -x "$dir/root/$check" ] &&
    ! LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu" ldd "$dir/root/$check" | grep -q 'not found'; then
    step "$name already unpacked in $dir/root ($(cat "$dir/.installed"))"
    return 0
  fi
  apt_update_once
  rm -rf "$dir"
  mkdir -p "$debs"
  chmod 755 "$PEERS_DIR" "$dir"
  step "apt-get download $* -> $debs"
  (cd "$debs" && apt-get -o DPkg::Lock::Timeout=300 -q download "$@" 2>&1 | grep -v 'unsandboxed' >/dev/null || true)
  for p in "$@"; do ls "$debs/${p}"_*.deb >/dev/null 2>&1 || die "apt-get download $p failed"; done
  # lib* dependencies that are not installed, followed recursively
  local todo seen=" " next p round extra=()
  todo=$(for d in "$debs"/*.deb; do dpkg-deb -f "$d" Depends; done)
  for round in 1 2 3 4 5; do
    next=""
    for p in $(echo "$todo" | tr ',|' '\n\n' | sed 's/(.*)//; s/:any//; s/ //g' | grep '^lib' | sort -u); do
      case "$seen" in *" $p "*) continue ;; esac
      seen="$seen$p "
      is_installed "$p" && continue
      extra+=("$p")
      (cd "$debs" && apt-get -o DPkg::Lock::Timeout=300 -q download "$p" 2>&1 | grep -v 'unsandboxed' >/dev/null || true)
      ls "$debs/${p}"_*.deb >/dev/null 2>&1 || die "apt-get download $p failed"
      next="$next,$(dpkg-deb -f "$debs/${p}"_*.deb Depends)"
    done
    todo=$next
    [ -z "${todo//,/}" ] && break
  done
  [ ${#extra[@]} -gt 0 ] && step "$name: missing libraries unpacked too: ${extra[*]}"
  for d in "$debs"/*.deb; do dpkg -x "$d" "$dir/root"; done
  chmod 755 "$dir/root"
  if LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu" ldd "$dir/root/$check" | grep 'not found'; then
    die "$name: libraries still missing"
  fi
  dpkg-deb -f "$(ls "$debs/${1}"_*.deb)" Version >"$dir/.installed"
  step "$name $(cat "$dir/.installed") unpacked in $dir/root"
}

mkdir -p "$PEERS_DIR"
chmod 755 "$PEERS_DIR"
unpack_tree pure-ftpd usr/sbin/pure-ftpd pure-ftpd
unpack_tree proftpd usr/sbin/proftpd proftpd-core proftpd-mod-crypto proftpd-basic
LD_LIBRARY_PATH="$PEERS_DIR/proftpd/root/usr/lib/x86_64-linux-gnu" ldd "$PEERS_DIR/proftpd/root/usr/lib/proftpd/mod_tls.so" |
  grep -q 'not found' && die "proftpd: mod_tls.so has missing libraries"

# ---------------------------------------------------------------------------------------------
# 3. vsftpd's guest account: every instance authenticates its own throwaway virtual user through a
#    PAM service of its own (pam_pwdfile, written by src/peers.ts) and maps it to this local user.
# vsftpd chdirs to the guest account's home before local_root: it must exist (root-owned, empty).
PEER_HOME="$PEERS_DIR/vsftpd-home"
mkdir -p "$PEER_HOME"
chmod 755 "$PEER_HOME"
if id -u "$PEER_USER" >/dev/null 2>&1; then
  step "user $PEER_USER exists"
  if [ "$(getent passwd "$PEER_USER" | cut -d: -f6)" != "$PEER_HOME" ]; then
    step "usermod --home $PEER_HOME $PEER_USER"
    usermod --home "$PEER_HOME" "$PEER_USER"
  fi
else
  grep -qx "$PEER_USER" /etc/ftpusers 2>/dev/null && die "$PEER_USER is listed in /etc/ftpusers"
  step "useradd $PEER_USER (system user, locked password, no login shell, home $PEER_HOME)"
  useradd --system --user-group --no-create-home --home-dir "$PEER_HOME" --shell /usr/sbin/nologin "$PEER_USER"
fi
[ -f /lib/x86_64-linux-gnu/security/pam_pwdfile.so ] || die "pam_pwdfile.so missing (libpam-pwdfile)"

# ---------------------------------------------------------------------------------------------
# 4. summary
for b in /usr/sbin/vsftpd "$PEERS_DIR/pure-ftpd/root/usr/sbin/pure-ftpd" "$PEERS_DIR/pure-ftpd/root/usr/bin/pure-pw" \
  "$PEERS_DIR/proftpd/root/usr/sbin/proftpd" /usr/bin/curl /usr/bin/lftp "$PY" /usr/bin/openssl /usr/bin/tmux; do
  [ -x "$b" ] || die "missing $b"
done
step "ready: vsftpd $(dpkg-query -W -f='${Version}' vsftpd), pure-ftpd $(cat "$PEERS_DIR/pure-ftpd/.installed"), proftpd $(cat "$PEERS_DIR/proftpd/.installed"), pyftpdlib $(dpkg-query -W -f='${Version}' python3-pyftpdlib)"
