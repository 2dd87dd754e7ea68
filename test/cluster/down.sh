#!/usr/bin/env bash
# Stops the e2e test cluster started by up.sh and removes its state (etcd data, certs, logs,
# kubeconfig). Idempotent: nothing running and no state is fine. Cached binaries are kept.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"
export KWOK_WORKDIR="$CLUSTER_STATE/kwok"

# stop_pid <pidfile>: TERM, then KILL after 5 s; only the process named in the file.
stop_pid() {
  local f="$1" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

if [ ! -d "$CLUSTER_STATE" ]; then
  log "no cluster state in $CLUSTER_STATE: nothing to stop"
  exit 0
fi

stop_pid "$CLUSTER_STATE/injector-standin.pid"

KWOKCTL="$(kwok_dir)/kwokctl"
if [ -x "$KWOKCTL" ] && [ -d "$KWOK_WORKDIR/clusters/$CLUSTER_NAME" ]; then
  timeout 120 "$KWOKCTL" delete cluster --name "$CLUSTER_NAME" >"$CLUSTER_STATE/kwokctl-delete.log" 2>&1 ||
    log "kwokctl delete cluster failed (see below); stopping its processes by pid file"
fi
# Whatever kwokctl left running (or if kwokctl is gone): its components' pid files.
if [ -d "$KWOK_WORKDIR/clusters/$CLUSTER_NAME/pids" ]; then
  for f in "$KWOK_WORKDIR/clusters/$CLUSTER_NAME"/pids/*.pid; do
    [ -e "$f" ] && stop_pid "$f"
  done
fi

rm -rf "$CLUSTER_STATE"
log "cluster $CLUSTER_NAME stopped; state removed"
