#!/usr/bin/env bash
# An istioctl that reaches the kube-apiserver DIRECTLY whatever kubeconfig it is given (test glue for
# the API-faults scenario, test/e2e/scenarios-8-faults.e2e.ts): the bot's own Kubernetes client goes
# through the fault proxy, while the real istioctl (client-go does not retry a 500 or a reset of a
# write, and istioctl install is one long series of writes) is pointed at the real apiserver. It
# replaces the values of --kubeconfig and --context by $ISTIOCTL_DIRECT_KUBECONFIG and
# $ISTIOCTL_DIRECT_CONTEXT and execs $ISTIOCTL_DIRECT_BIN_DIR/<the name it is linked as>, e.g.
# <dir>/istioctl-1.25.3 -> $ISTIOCTL_DIRECT_BIN_DIR/istioctl-1.25.3.
set -u
bin="${ISTIOCTL_DIRECT_BIN_DIR:?ISTIOCTL_DIRECT_BIN_DIR: where the real istioctl-<version> are}/$(basename "$0")"
kc="${ISTIOCTL_DIRECT_KUBECONFIG:?ISTIOCTL_DIRECT_KUBECONFIG: the direct kubeconfig}"
ctx="${ISTIOCTL_DIRECT_CONTEXT:?ISTIOCTL_DIRECT_CONTEXT: its context}"
args=()
next=""
for a in "$@"; do
  case "$next" in
    kubeconfig) args+=("$kc"); next=""; continue ;;
    context) args+=("$ctx"); next=""; continue ;;
  esac
  case "$a" in
    --kubeconfig|-c) next=kubeconfig ;;
    --context) next=context ;;
    --kubeconfig=*) a="--kubeconfig=$kc" ;;
    --context=*) a="--context=$ctx" ;;
  esac
  args+=("$a")
done
exec "$bin" "${args[@]}"
