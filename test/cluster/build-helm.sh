#!/usr/bin/env bash
# Builds and caches helm v3 from Go modules for the chart tests (test/helm):
#   ${CLUSTER_CACHE:-~/.cache/istio-upgrade-bot/cluster}/helm-<version>/helm
# `go install helm.sh/helm/v3/cmd/helm@<version>` in the cluster build's own Go environment (module
# and build caches shared with test/cluster/build.sh), with the ldflags helm's Makefile sets, so
# `helm version` reports the release and the default Capabilities.KubeVersion is the one of the
# client-go it is built with. The module is verified by the checksum database as usual.
# Idempotent: a cached build (with its .complete stamp) is kept. Prints the binary path last.
# Env: HELM_VERSION (default below), CLUSTER_CACHE, CLUSTER_BUILD_P (go build -p, default nproc).
# Exit codes: 3 Go missing, 1 anything else.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

HELM_VERSION="${HELM_VERSION:-v3.21.4}"
# helm v3.21.x is built against k8s.io/client-go v0.36: default Capabilities.KubeVersion v1.36.
HELM_K8S_MAJOR="${HELM_K8S_MAJOR:-1}"
HELM_K8S_MINOR="${HELM_K8S_MINOR:-36}"
DIR="$CLUSTER_CACHE/helm-$HELM_VERSION"

if [ -f "$DIR/.complete" ] && [ -x "$DIR/helm" ]; then
  log "helm $HELM_VERSION cached: $DIR"
  echo "$DIR/helm"
  exit 0
fi

find_go
go_env
mkdir -p "$DIR"
exec 9>"$DIR/.build.lock"
if ! flock -n 9; then
  log "another helm build is running in $DIR: waiting for it"
  flock 9
  if [ -f "$DIR/.complete" ] && [ -x "$DIR/helm" ]; then echo "$DIR/helm"; exit 0; fi
fi

BUILD_P="${CLUSTER_BUILD_P:-$(nproc 2>/dev/null || echo 2)}"
: >"$DIR/build.log"
log "building helm $HELM_VERSION -> $DIR"
x="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
x+=" -X helm.sh/helm/v3/internal/version.metadata="
x+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  x+=" -X $p.k8sVersionMajor=$HELM_K8S_MAJOR -X $p.k8sVersionMinor=$HELM_K8S_MINOR"
done

stats="$DIR/.time.$$"
rc=0
start=$(date +%s)
run=(env GOBIN="$DIR/.out" "$GO" install -trimpath -p "$BUILD_P" -ldflags "-s -w $x" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
rm -rf "$DIR/.out"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -v -o "$stats" "${run[@]}" >>"$DIR/build.log" 2>&1 || rc=$?
else
  "${run[@]}" >>"$DIR/build.log" 2>&1 || rc=$?
fi
end=$(date +%s)
rss="?"
[ -f "$stats" ] && rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$stats")
rm -f "$stats"
printf '%s helm-%s-install wall=%ss peak_rss_kb=%s rc=%s\n' "$(date -u +%FT%TZ)" "$HELM_VERSION" \
  "$((end - start))" "$rss" "$rc" >>"$DIR/build-stats.txt"
if [ "$rc" -ne 0 ]; then
  tail -n 40 "$DIR/build.log" >&2
  die "helm $HELM_VERSION build failed (exit $rc); full log: $DIR/build.log"
fi
mv -f "$DIR/.out/helm" "$DIR/helm"
rmdir "$DIR/.out"
reported="$("$DIR/helm" version --template '{{.Version}}' 2>&1 || true)"
[ "$reported" = "$HELM_VERSION" ] || die "helm in $DIR reports '$reported', not $HELM_VERSION"
touch "$DIR/.complete"
log "helm $HELM_VERSION built in $((end - start))s (peak RSS ${rss} KB)"
echo "$DIR/helm"
