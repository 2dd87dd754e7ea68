#!/usr/bin/env bash
# A SLOW istioctl (test glue for the cancellation tests): for `install` it sleeps
# $ISTIOCTL_SLOW_SECONDS (default 60) in a child process and runs the real istioctl ($ISTIOCTL_REAL)
# as a child too: $ISTIOCTL_SLOW_WHEN=before (default) sleeps first, then installs (an install that has
# not reached the cluster yet); =after installs first, then sleeps before returning (an install that
# has applied its resources and still waits, as istioctl waits for readiness). Every other subcommand
# execs the real istioctl at once. It writes its pid (= the process group the bot starts it in) to
# $ISTIOCTL_SLOW_PIDFILE when set, and, when $ISTIOCTL_SLOW_LOG is set, appends
# `start|applied|end <pid> <epoch ms> [how]` lines for each install (`end` also when stopped by
# SIGTERM/SIGINT, which the bot sends to the whole group; $ISTIOCTL_SLOW_STOP_SECONDS, default 0, is how
# long it then takes to stop, as an istioctl finishing its current request). Link it as
# <dir>/istioctl-<version>.
set -u
real="${ISTIOCTL_REAL:?ISTIOCTL_REAL: the istioctl to run}"
if [ -n "${ISTIOCTL_SLOW_PIDFILE:-}" ]; then echo "$$" >"$ISTIOCTL_SLOW_PIDFILE"; fi
install=0
for a in "$@"; do
  case "$a" in
    install)
      install=1
      break
      ;;
    -*) ;;
    *) break ;;
  esac
done
[ "$install" = 1 ] || exec "$real" "$@"

log() { if [ -n "${ISTIOCTL_SLOW_LOG:-}" ]; then echo "$1 $$ $(date +%s%3N) ${2:-}" >>"$ISTIOCTL_SLOW_LOG"; fi; }
child=""
stopped() {
  # the group got the signal too; make sure the child is gone before saying so
  if [ -n "$child" ]; then kill -KILL "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi
  sleep "${ISTIOCTL_SLOW_STOP_SECONDS:-0}"
  log end "signal $1"
  exit 143
}
trap 'stopped TERM' TERM
trap 'stopped INT' INT
log start
slow() {
  sleep "${ISTIOCTL_SLOW_SECONDS:-60}" &
  child=$!
  wait "$child"
  child=""
}
if [ "${ISTIOCTL_SLOW_WHEN:-before}" = before ]; then slow; fi
"$real" "$@" &
child=$!
wait "$child"
rc=$?
child=""
if [ "$rc" = 0 ]; then log applied; fi
if [ "${ISTIOCTL_SLOW_WHEN:-before}" = after ] && [ "$rc" = 0 ]; then slow; fi
log end "exit $rc"
exit "$rc"
