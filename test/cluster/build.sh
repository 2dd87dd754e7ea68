#!/usr/bin/env bash
# Builds and caches the binaries of the e2e test cluster from Go modules:
#   etcd, kube-apiserver/kube-controller-manager/kube-scheduler/kubectl, kwok/kwokctl,
#   and istioctl of every version in ISTIO_RELEASES (see common.sh).
# Idempotent: a piece whose cached binaries exist (with a .complete stamp) is skipped.
# Usage: test/cluster/build.sh [etcd|kubernetes|kwok|istioctl|all]...   (default: all)
# Env:   CLUSTER_CACHE (cache root), CLUSTER_BUILD_P (go build -p, default nproc).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

find_go
go_env
# One build at a time per cache (another checkout or helper may run this concurrently); taken
# only when something is missing, so a cached run never waits.
LOCKED=0
take_lock() {
  [ "$LOCKED" = 1 ] && return 0
  mkdir -p "$CLUSTER_CACHE"
  exec 9>"$CLUSTER_CACHE/.build.lock"
  if ! flock -n 9; then
    log "another build is running in $CLUSTER_CACHE: waiting for it"
    flock 9
  fi
  LOCKED=1
}
BUILD_P="${CLUSTER_BUILD_P:-$(nproc 2>/dev/null || echo 2)}"
LDS="-s -w"

# run_timed <dir> <label> cmd...: runs a command, logs to <dir>/build.log and
# appends wall time and peak RSS to <dir>/build-stats.txt.
run_timed() {
  local dir="$1" label="$2"
  shift 2
  local stats="$dir/.time.$$" rc=0 start end
  start=$(date +%s)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v -o "$stats" "$@" >>"$dir/build.log" 2>&1 || rc=$?
  else
    "$@" >>"$dir/build.log" 2>&1 || rc=$?
  fi
  end=$(date +%s)
  local rss="?"
  [ -f "$stats" ] && rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$stats")
  printf '%s %s wall=%ss peak_rss_kb=%s rc=%s\n' "$(date -u +%FT%TZ)" "$label" \
    "$((end - start))" "$rss" "$rc" >>"$dir/build-stats.txt"
  rm -f "$stats"
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "$dir/build.log" >&2
    die "$label failed (exit $rc); full log: $dir/build.log"
  fi
  log "$label done in $((end - start))s (peak RSS ${rss} KB)"
}

# done_or_missing <dir> <binaries...>: 0 when every binary and the stamp exist.
is_built() {
  local dir="$1" b
  shift
  [ -f "$dir/.complete" ] || return 1
  for b in "$@"; do [ -x "$dir/$b" ] || return 1; done
}

build_etcd() {
  local dir
  dir="$(etcd_dir)"
  if is_built "$dir" etcd; then log "etcd $ETCD_VERSION cached: $dir"; return; fi
  take_lock
  if is_built "$dir" etcd; then log "etcd $ETCD_VERSION cached: $dir"; return; fi
  log "building etcd $ETCD_VERSION -> $dir"
  mkdir -p "$dir/src" && : >"$dir/build.log"
  cd "$dir/src"
  cat >go.mod <<EOF
module iub.local/etcd-build

go 1.23
EOF
  run_timed "$dir" "etcd-get" "$GO" get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  run_timed "$dir" "etcd-build" "$GO" build -trimpath -p "$BUILD_P" -ldflags "$LDS" \
    -o "$dir/etcd" go.etcd.io/etcd/server/v3
  touch "$dir/.complete"
}

build_kubernetes() {
  local dir v="$K8S_VERSION"
  dir="$(k8s_dir)"
  local bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  if is_built "$dir" "${bins[@]}"; then log "kubernetes $v cached: $dir"; return; fi
  take_lock
  if is_built "$dir" "${bins[@]}"; then log "kubernetes $v cached: $dir"; return; fi
  log "building kubernetes $v (${bins[*]}) -> $dir; this is the long one (15-30 min cold)"
  mkdir -p "$dir/src" && : >"$dir/build.log"
  cd "$dir/src"
  local staging="v0.${v#v1.}"
  "$GO" mod download -json "k8s.io/kubernetes@$v" >"$dir/kubernetes.mod.json"
  local kmod
  kmod=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' "$dir/kubernetes.mod.json")
  local kgo
  kgo=$(awk '$1 == "go" {print $2; exit}' "$kmod")
  {
    printf 'module iub.local/k8s-build\n\ngo %s\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$kgo" "$v"
    # every staging module (replaced by ./staging/src/... upstream) at its v0.Y.Z tag
    sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => \./staging/src/.*#\1#p' "$kmod" |
      while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$staging"; done
    printf ')\n'
  } >go.mod
  local pkgs=() b
  for b in "${bins[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  run_timed "$dir" "kubernetes-get" "$GO" get "${pkgs[@]/%/@$v}"
  local major="${v#v}" minor
  minor="${major#*.}" && minor="${minor%%.*}" && major="${major%%.*}"
  local x="" p k val
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for k in gitVersion="$v" gitMajor="$major" gitMinor="$minor" gitTreeState=clean \
      buildDate=1970-01-01T00:00:00Z; do
      val="${k#*=}"
      x+=" -X $p.${k%%=*}=$val"
    done
  done
  rm -rf "$dir/.out" && mkdir -p "$dir/.out"
  run_timed "$dir" "kubernetes-build" "$GO" build -trimpath -p "$BUILD_P" \
    -ldflags "$LDS$x" -o "$dir/.out/" "${pkgs[@]}"
  for b in "${bins[@]}"; do mv -f "$dir/.out/$b" "$dir/$b"; done
  rmdir "$dir/.out"
  # not `| grep -q`: grep exits at the first match, kubectl's next write gets SIGPIPE, and with
  # pipefail the check fails on a good binary
  local reported
  reported=$("$dir/kubectl" version --client 2>&1) || die "kubectl version failed: $reported"
  [[ "$reported" == *"$v"* ]] || die "kubectl does not report $v: $reported"
  touch "$dir/.complete"
}

build_kwok() {
  local dir v="$KWOK_VERSION"
  dir="$(kwok_dir)"
  if is_built "$dir" kwok kwokctl; then log "kwok $v cached: $dir"; return; fi
  take_lock
  if is_built "$dir" kwok kwokctl; then log "kwok $v cached: $dir"; return; fi
  log "building kwok $v -> $dir"
  mkdir -p "$dir" && : >"$dir/build.log"
  cd "$dir"
  # consts.Version defaults to "0.7.0" in the tagged source; KubeVersion (no "v") is the
  # Kubernetes version kwokctl assumes, set to ours as kwok's hack/releases.sh does
  local x="-X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${K8S_VERSION#v}"
  export GOBIN="$dir"
  run_timed "$dir" "kwok-install" "$GO" install -trimpath -p "$BUILD_P" \
    -ldflags "$LDS $x" "sigs.k8s.io/kwok/cmd/kwok@$v" "sigs.k8s.io/kwok/cmd/kwokctl@$v"
  touch "$dir/.complete"
}

build_istioctl_one() {
  local ver="$1" pseudo sum modsum dir
  pseudo="$(istio_field "$ver" 2)" || die "no pseudo-version for istio $ver in ISTIO_RELEASES"
  sum="$(istio_field "$ver" 3)"
  modsum="$(istio_field "$ver" 4)"
  dir="$(istioctl_dir "$ver")"
  if is_built "$dir" istioctl; then log "istioctl $ver cached: $dir"; return; fi
  take_lock
  if is_built "$dir" istioctl; then log "istioctl $ver cached: $dir"; return; fi
  log "building istioctl $ver ($pseudo) -> $dir"
  rm -rf "$dir/src" && mkdir -p "$dir/src" && : >"$dir/build.log"
  cd "$dir/src"
  # A wrapper module whose go.sum pins istio.io/istio and then takes istio's own go.sum for the
  # dependencies: every module is verified, without the checksum database (see common.sh).
  printf 'module iub.local/istioctl-build\n\ngo 1.24\n\nrequire istio.io/istio %s\n' "$pseudo" >go.mod
  printf 'istio.io/istio %s %s\nistio.io/istio %s/go.mod %s\n' "$pseudo" "$sum" "$pseudo" "$modsum" >go.sum
  run_timed "$dir" "istioctl-$ver-download" "$GO" mod download istio.io/istio
  local src="$GOMODCACHE/istio.io/istio@$pseudo"
  cat "$src/go.sum" >>go.sum
  local igo
  igo=$(awk '$1 == "go" {print $2; exit}' "$src/go.mod")
  "$GO" mod edit -go="$igo"
  local extra req
  extra="$(istio_field "$ver" 5)"
  for req in ${extra//,/ }; do "$GO" mod edit -require="$req"; done
  local p=istio.io/istio/pkg/version
  local x="-X $p.buildVersion=$ver -X $p.buildGitRevision=${pseudo##*-} -X $p.buildTag=$ver"
  x+=" -X $p.buildHub=docker.io/istio -X $p.buildStatus=Clean"
  run_timed "$dir" "istioctl-$ver-build" "$GO" build -trimpath -p "$BUILD_P" \
    -tags "vtprotobuf,disable_pgv" -ldflags "$LDS $x" -o "$dir/istioctl" istio.io/istio/istioctl/cmd/istioctl
  local got
  got=$("$GO" version -m "$dir/istioctl" | awk '$1 == "mod" && $2 == "istio.io/istio" {print $3, $4}')
  [ "$got" = "$pseudo $sum" ] || die "istioctl $ver: module is '$got', expected '$pseudo $sum'"
  local reported
  reported="$("$dir/istioctl" version --remote=false 2>&1 || true)"
  [ "$reported" = "client version: $ver" ] || die "istioctl in $dir reports '$reported', not $ver"
  touch "$dir/.complete"
}

build_istioctl() {
  local v
  for v in $(istio_versions); do build_istioctl_one "$v"; done
}

main() {
  local pieces=("$@") piece v
  [ ${#pieces[@]} -eq 0 ] && pieces=(all)
  for piece in "${pieces[@]}"; do
    case "$piece" in
      etcd) build_etcd ;;
      kubernetes | k8s) build_kubernetes ;;
      kwok) build_kwok ;;
      istioctl) build_istioctl ;;
      all) build_etcd; build_kwok; build_istioctl; build_kubernetes ;;
      *) die "unknown piece '$piece' (etcd|kubernetes|kwok|istioctl|all)" 2 ;;
    esac
  done

  echo "etcd:           $(etcd_dir)/etcd"
  echo "kubernetes:     $(k8s_dir)/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl}"
  echo "kwok:           $(kwok_dir)/{kwok,kwokctl}"
  for v in $(istio_versions); do echo "istioctl $v: $(istioctl_dir "$v")/istioctl"; done
}

# Everything above only defines functions: bash has read the whole file before building starts,
# so editing this script while a build runs cannot derail the running build.
main "$@"
exit $?
