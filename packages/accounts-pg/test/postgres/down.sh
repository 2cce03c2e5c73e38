#!/usr/bin/env bash
# down.sh - stop the cluster started by up.sh (same PG_DIR) and remove PG_DIR.
# pg_ctl stop (fast shutdown) first; if that fails, SIGTERM then SIGKILL to the postmaster PID
# in its postmaster.pid, only when that process is a postgres whose data directory is ours.
# PG_KEEP_DIR=1 keeps the directory (logs).
set -uo pipefail
[ -n "${PG_DIR:-}" ] || { echo "[pg-down] PG_DIR is not set" >&2; exit 1; }
DATA=$PG_DIR/data
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
as_owner=()
if [ "$(id -u)" = 0 ] && [ -d "$DATA" ]; then
  as_owner=(runuser -u "$(stat -c %U "$DATA")" --)
fi
alive() { [ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
ours() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | grep -q postgres && [ "$(readlink "/proc/$1/cwd" 2>/dev/null)" = "$(readlink -f "$DATA")" ]; }
if [ -f "$DATA/postmaster.pid" ]; then
  pid=$(head -n 1 "$DATA/postmaster.pid")
  if ! "${as_owner[@]}" "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null 2>&1; then
    if [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" && ours "$pid"; then
      echo "[pg-down] pg_ctl stop failed; SIGTERM to $pid" >&2
      kill -TERM "$pid" 2>/dev/null
      for ((i = 0; i < 40; i++)); do alive "$pid" || break; sleep 0.25; done
      alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
  fi
  echo "[pg-down] stopped the cluster in $PG_DIR" >&2
fi
[ "${PG_KEEP_DIR:-0}" = 1 ] || rm -rf "$PG_DIR"
exit 0
