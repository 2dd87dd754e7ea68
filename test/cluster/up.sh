#!/usr/bin/env bash
# Boots the e2e test cluster: etcd + kube-apiserver (RBAC on) + controller-manager + scheduler
# via kwokctl's binary runtime, two fake KWOK nodes, and the injection webhook STAND-IN
# (test/support/injector-standin*.ts). Builds the binaries first (cached: seconds).
# Idempotent: a healthy running cluster is left as it is. Stop it with test/cluster/down.sh.
# Exit codes: 3 Go missing, 4 node_modules missing, 1 anything else.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

KUBECONFIG_PATH="$CLUSTER_STATE/kubeconfig"
export KWOK_WORKDIR="$CLUSTER_STATE/kwok"
# The controller-manager's client rate limit (--kube-api-qps/--kube-api-burst): it bounds how fast
# the cluster itself rolls Deployments out, so the benchmarks print it beside their figures. The
# defaults are kube-controller-manager's own (20/30), which kwokctl keeps (disableQPSLimits false).
CM_QPS="${CLUSTER_CM_QPS:-20}"
CM_BURST="${CLUSTER_CM_BURST:-30}"
[[ "$CM_QPS" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "CLUSTER_CM_QPS must be a number of requests per second (e.g. 20), not '$CM_QPS'" 2
[[ "$CM_BURST" =~ ^[0-9]+$ ]] || die "CLUSTER_CM_BURST must be a whole number of requests (e.g. 30), not '$CM_BURST'" 2
# KWOK nodes and the pods each takes (kwok's default 110): a large mesh (the scale benchmark's
# 3,000 pods) needs more. Each node's pod IPs come from its own /24 (127.128.<node>.0/24), so at most
# 250 pods a node and 200 nodes keep every pod IP inside 127.128.0.0/16.
NODES="${CLUSTER_NODES:-2}"
NODE_PODS="${CLUSTER_NODE_PODS:-110}"
[[ "$NODES" =~ ^[0-9]+$ ]] && [ "$NODES" -ge 1 ] && [ "$NODES" -le 200 ] ||
  die "CLUSTER_NODES must be a whole number of KWOK nodes from 1 to 200, not '$NODES'" 2
[[ "$NODE_PODS" =~ ^[0-9]+$ ]] && [ "$NODE_PODS" -ge 1 ] && [ "$NODE_PODS" -le 250 ] ||
  die "CLUSTER_NODE_PODS must be a whole number of pods a node from 1 to 250 (one /24 of pod IPs), not '$NODE_PODS'" 2

# The cluster's daemons outlive this script: they must not inherit the caller's open files.
close_inherited_fds

bash "$HERE/build.sh" >&2
K8S="$(k8s_dir)"
KWOK="$(kwok_dir)"
KUBECTL="$K8S/kubectl"
TSX_LOADER="$REPO/node_modules/tsx/dist/loader.mjs"
[ -f "$TSX_LOADER" ] || die "node_modules is missing (no $TSX_LOADER): run 'npm ci' first" 4
command -v node >/dev/null 2>&1 || die "node is not on PATH" 4

healthy() {
  [ -f "$KUBECONFIG_PATH" ] && [ -f "$CLUSTER_STATE/injector-standin.pid" ] &&
    kill -0 "$(cat "$CLUSTER_STATE/injector-standin.pid")" 2>/dev/null &&
    timeout 10 "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" get --raw /readyz >/dev/null 2>&1
}

print_usage() {
  cat <<EOF

Cluster '$CLUSTER_NAME' is up (Kubernetes $K8S_VERSION, $(running_cm CLUSTER_NODES) KWOK nodes of $(running_cm CLUSTER_NODE_PODS) pods, injector stand-in,
controller-manager QPS $(running_cm CLUSTER_CM_QPS), burst $(running_cm CLUSTER_CM_BURST)).
  state (this checkout's): $CLUSTER_STATE
  export KUBECONFIG=$KUBECONFIG_PATH
  $KUBECTL get nodes
istioctl (real; 'ps'/'proxy-status' answered by the stand-in):
EOF
  local v
  for v in $(istio_versions); do echo "  $v: $CLUSTER_STATE/bin/istioctl-$v"; done
  echo "Everything as shell variables: bash test/cluster/env.sh   Stop: npm run cluster:down"
}

# A running cluster started with other settings than those asked for (CLUSTER_CM_QPS, CLUSTER_CM_BURST,
# CLUSTER_NODES, CLUSTER_NODE_PODS set) is replaced; without them, any running cluster will do.
running_cm() { sed -n "s/^$1=//p" "$CLUSTER_STATE/cluster.env" 2>/dev/null; }
if healthy && { [ -z "${CLUSTER_CM_QPS:-}${CLUSTER_CM_BURST:-}${CLUSTER_NODES:-}${CLUSTER_NODE_PODS:-}" ] ||
  { [ "$(running_cm CLUSTER_CM_QPS)" = "$CM_QPS" ] && [ "$(running_cm CLUSTER_CM_BURST)" = "$CM_BURST" ] &&
    [ "$(running_cm CLUSTER_NODES)" = "$NODES" ] && [ "$(running_cm CLUSTER_NODE_PODS)" = "$NODE_PODS" ]; }; }; then
  log "cluster already up (controller-manager QPS $(running_cm CLUSTER_CM_QPS), burst $(running_cm CLUSTER_CM_BURST))"
  print_usage
  exit 0
fi
if [ -d "$CLUSTER_STATE" ]; then
  log "stale cluster state found: cleaning it first"
  bash "$HERE/down.sh" >&2
fi
mkdir -p "$CLUSTER_STATE/bin"

# All addresses stay on loopback: components bind 127.0.0.1, fake pod IPs are 127.128.x.x, node
# IPs 127.0.0.1 and Service IPs 127.96.x.x, so nothing (a webhook called by Service, a
# port-forward to a "kubelet") can leave the machine. Nodes report kubelet v1.33.x like real ones.
printf '%s\n' 'kind: KwokctlConfiguration' 'apiVersion: config.kwok.x-k8s.io/v1alpha1' 'options:' \
  '  bindAddress: 127.0.0.1' >"$CLUSTER_STATE/kwokctl.yaml"
log "creating cluster $CLUSTER_NAME (kwokctl, binary runtime; controller-manager QPS $CM_QPS, burst $CM_BURST) in $CLUSTER_STATE"
start=$(date +%s)
command -v flock >/dev/null 2>&1 || die "flock (util-linux) is not on PATH"
mkdir -p "$CLUSTER_CACHE"
exec 9>"$CLUSTER_PORTS_LOCK"
flock 9 # held until kwokctl's components listen on the ports it picked; no child inherits it
if ! "$KWOK/kwokctl" -c "$CLUSTER_STATE/kwokctl.yaml" create cluster --name "$CLUSTER_NAME" --runtime binary \
  --kubeconfig "$KUBECONFIG_PATH" \
  --etcd-binary "$(etcd_dir)/etcd" \
  --kube-apiserver-binary "$K8S/kube-apiserver" \
  --kube-controller-manager-binary "$K8S/kube-controller-manager" \
  --kube-scheduler-binary "$K8S/kube-scheduler" \
  --kwok-controller-binary "$KWOK/kwok" \
  --kube-authorization=true \
  --extra-args "kube-apiserver=service-cluster-ip-range=127.96.0.0/16" \
  --extra-args "kube-controller-manager=service-cluster-ip-range=127.96.0.0/16" \
  --extra-args "kube-controller-manager=kube-api-qps=$CM_QPS" \
  --extra-args "kube-controller-manager=kube-api-burst=$CM_BURST" \
  --extra-args "kwok-controller=node-ip=127.0.0.1" \
  --wait 120s >"$CLUSTER_STATE/kwokctl-create.log" 2>&1 9>&-; then
  tail -n 30 "$CLUSTER_STATE/kwokctl-create.log" >&2
  die "kwokctl create cluster failed; log: $CLUSTER_STATE/kwokctl-create.log"
fi
"$KWOK/kwokctl" -c "$CLUSTER_STATE/kwokctl.yaml" scale node --name "$CLUSTER_NAME" --replicas "$NODES" \
  --param '.podCIDR="127.128.0.0/24"' --param ".nodeInfo.kubeletVersion=\"$K8S_VERSION\"" \
  --param ".allocatable.pods=$NODE_PODS" \
  >>"$CLUSTER_STATE/kwokctl-create.log" 2>&1 9>&- ||
  die "kwokctl scale node failed; log: $CLUSTER_STATE/kwokctl-create.log"
kc() { timeout 60 "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
kc wait --for=condition=Ready node --all --timeout=60s >&2 9>&-
exec 9>&- # the ports lock: every component listens now (Ready nodes need the kwok controller)

log "starting the injector stand-in"
rm -f "$CLUSTER_STATE/injector-standin.port"
(cd "$REPO" && exec nohup node --import "$TSX_LOADER" test/support/injector-standin-main.ts \
  --kubeconfig "$KUBECONFIG_PATH" --state-dir "$CLUSTER_STATE" \
  >>"$CLUSTER_STATE/injector-standin.log" 2>&1 </dev/null) &
echo $! >"$CLUSTER_STATE/injector-standin.pid"
for _ in $(seq 1 100); do
  [ -s "$CLUSTER_STATE/injector-standin.port" ] && break
  kill -0 "$(cat "$CLUSTER_STATE/injector-standin.pid")" 2>/dev/null ||
    die "injector stand-in exited; log: $CLUSTER_STATE/injector-standin.log"
  sleep 0.2
done
[ -s "$CLUSTER_STATE/injector-standin.port" ] || die "injector stand-in did not start in 20s"

# istioctl wrappers: the real binary, except `ps`/`proxy-status`, answered by the stand-in.
for v in $(istio_versions); do
  w="$CLUSTER_STATE/bin/istioctl-$v"
  cat >"$w" <<EOF
#!/usr/bin/env bash
# istioctl $v for the e2e cluster: the real binary, but 'proxy-status'/'ps' runs the STAND-IN
# test/support/proxy-status-standin-main.ts (no istiod/Envoy runs on KWOK's fake pods).
REAL='$(istioctl_dir "$v")/istioctl'
skip=0
for a in "\$@"; do
  if [ \$skip = 1 ]; then skip=0; continue; fi
  case "\$a" in
    --kubeconfig|-c|--context|-i|--istioNamespace|-n|--namespace) skip=1 ;;
    -*) ;;
    ps|proxy-status) exec node --import '$TSX_LOADER' '$REPO/test/support/proxy-status-standin-main.ts' --istioctl-version '$v' -- "\$@" ;;
    *) break ;;
  esac
done
exec "\$REAL" "\$@"
EOF
  chmod +x "$w"
done

cat >"$CLUSTER_STATE/cluster.env" <<EOF
KUBECONFIG=$KUBECONFIG_PATH
KUBECTL=$KUBECTL
CLUSTER_NAME=$CLUSTER_NAME
K8S_VERSION=$K8S_VERSION
CLUSTER_CM_QPS=$CM_QPS
CLUSTER_CM_BURST=$CM_BURST
CLUSTER_NODES=$NODES
CLUSTER_NODE_PODS=$NODE_PODS
INJECTOR_STANDIN_PORT=$(cat "$CLUSTER_STATE/injector-standin.port")
EOF
log "cluster up in $(($(date +%s) - start))s"
print_usage
