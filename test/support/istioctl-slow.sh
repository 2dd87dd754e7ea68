#!/usr/bin/env bash
# A SLOW istioctl (test glue for the cancellation tests): for `install` it first sleeps
# $ISTIOCTL_SLOW_SECONDS (default 60) in a child process, then execs the real istioctl
# ($ISTIOCTL_REAL); every other subcommand execs it at once. It writes its pid (= the process group
# the bot starts it in) to $ISTIOCTL_SLOW_PIDFILE when set. Link it as <dir>/istioctl-<version>.
set -u
real="${ISTIOCTL_REAL:?ISTIOCTL_REAL: the istioctl to run}"
if [ -n "${ISTIOCTL_SLOW_PIDFILE:-}" ]; then echo "$$" >"$ISTIOCTL_SLOW_PIDFILE"; fi
for a in "$@"; do
  case "$a" in
    install)
      sleep "${ISTIOCTL_SLOW_SECONDS:-60}"
      break
      ;;
    -*) ;;
    *) break ;;
  esac
done
exec "$real" "$@"
