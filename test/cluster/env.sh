#!/usr/bin/env bash
# Prints where everything of the e2e cluster is, without building or starting anything.
#   bash test/cluster/env.sh          shell assignments (eval "$(bash test/cluster/env.sh)")
#   bash test/cluster/env.sh --json   one JSON object (read by test/support/cluster-harness.ts)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

GO_BIN=""
if command -v go >/dev/null 2>&1; then GO_BIN="$(command -v go)"; elif [ -x /usr/local/go/bin/go ]; then GO_BIN=/usr/local/go/bin/go; fi
K8S="$(k8s_dir)"

if [ "${1:-}" = "--json" ]; then
  q() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
  printf '{"checkout":%s,"cacheDir":%s,"stateDir":%s,"clusterName":%s,"go":%s,' "$(q "$CLUSTER_CHECKOUT")" \
    "$(q "$CLUSTER_CACHE")" "$(q "$CLUSTER_STATE")" "$(q "$CLUSTER_NAME")" "$(q "$GO_BIN")"
  printf '"kubernetesVersion":%s,"kubeconfig":%s,"kubectl":%s,' "$(q "$K8S_VERSION")" \
    "$(q "$CLUSTER_STATE/kubeconfig")" "$(q "$K8S/kubectl")"
  printf '"binaries":[%s,%s,%s,%s,%s,%s,%s' "$(q "$(etcd_dir)/etcd")" "$(q "$K8S/kube-apiserver")" \
    "$(q "$K8S/kube-controller-manager")" "$(q "$K8S/kube-scheduler")" "$(q "$K8S/kubectl")" \
    "$(q "$(kwok_dir)/kwok")" "$(q "$(kwok_dir)/kwokctl")"
  for v in $(istio_versions); do printf ',%s' "$(q "$(istioctl_dir "$v")/istioctl")"; done
  printf '],"istio":['
  sep=""
  for v in $(istio_versions); do
    printf '%s{"version":%s,"istioctl":%s,"wrapper":%s}' "$sep" "$(q "$v")" \
      "$(q "$(istioctl_dir "$v")/istioctl")" "$(q "$CLUSTER_STATE/bin/istioctl-$v")"
    sep=","
  done
  printf ']}\n'
  exit 0
fi

echo "KUBECONFIG=$CLUSTER_STATE/kubeconfig"
echo "KUBECTL=$K8S/kubectl"
echo "CLUSTER_CACHE=$CLUSTER_CACHE"
echo "CLUSTER_STATE=$CLUSTER_STATE"
for v in $(istio_versions); do
  id="$(echo "$v" | tr '.-' '__')"
  echo "ISTIOCTL_$id=$(istioctl_dir "$v")/istioctl"
  echo "ISTIOCTL_WRAPPER_$id=$CLUSTER_STATE/bin/istioctl-$v"
done
