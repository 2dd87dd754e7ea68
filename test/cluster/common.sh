# shellcheck shell=bash
# Shared settings for the test-cluster scripts (sourced, never run).
# Pinned versions, cache layout and the Go lookup live here so that build.sh,
# up.sh, down.sh, env.sh and the TypeScript harness agree on paths.

# ---- pinned versions -------------------------------------------------------
# Kubernetes 1.33 is inside the supported range of both Istio 1.26 and 1.27.
K8S_VERSION="${K8S_VERSION:-v1.33.13}"
ETCD_VERSION="${ETCD_VERSION:-v3.5.21}"
KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"
# Istio tags carry no "v" and are not Go semver: build from the pseudo-version of the commit.
# Only two istio.io/istio versions are served by the module proxy reachable here (the tag commits
# of 1.26.x/1.27.x/1.30.x answer 403):
#   1.25.3   = the 1.25.3 release tag commit a62d39695c06 (old proxy-status table)
#   1.31-dev = the proxy's @latest, a 1.31 development commit of 2026-08-27 (its VERSION file says
#              1.31, so it reports "1.31-dev" as Istio's own dev builds do; new proxy-status table).
#              Its exact istio.io/api, istio.io/client-go (rc pseudo-versions) and go-control-plane
#              envoy/contrib dependencies answer 403, so the next versions the proxy serves are
#              required instead (field 5): api/client-go v1.31.1, contrib @latest, and envoy
#              v1.40.0 (v1.38.0, the first served one above the pin, lacks packages it imports).
# The checksum database here does not know these pseudo-versions nor several of their
# dependencies (404), so build.sh verifies against a go.sum instead: istio's own go.sum for the
# dependencies, and the two sums pinned here for istio.io/istio itself.
# Format: "<istio version>|<go pseudo-version>|<zip h1 sum>|<go.mod h1 sum>|<extra requires, comma-separated>"
ISTIO_RELEASES="${ISTIO_RELEASES:-1.25.3|v0.0.0-20250509145646-a62d39695c06|h1:CLriS2PqPPc0GDpYqvUXctlyABbeCme8KUNp1VS/S5M=|h1:5uoy3vWDm9s3uGV26rIRT7da1clAjtgIsRbwKB86WI8=| 1.31-dev|v0.0.0-20260827124520-eed52ebb66ad|h1:ui9TJjRMAV/hb5ehQaZDq7IUGxuQP6dra9lapT/VjHI=|h1:krub19xO5up6m9fUbvLGBgcAlHN4QuhVCGly52A4i4I=|istio.io/api@v1.31.1,istio.io/client-go@v1.31.1,github.com/envoyproxy/go-control-plane/envoy@v1.40.0,github.com/envoyproxy/go-control-plane/contrib@v1.36.1-0.20260729145720-a2d8c7492908}"

# ---- cache layout ----------------------------------------------------------
CLUSTER_CACHE="${CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/istio-upgrade-bot/cluster}"
CLUSTER_GO_DIR="$CLUSTER_CACHE/_go"
# The checkout these scripts belong to (physical path, symlinks resolved).
CLUSTER_CHECKOUT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
# Runtime state of a running cluster (certs, etcd data, logs, kubeconfig, wrappers): one per
# checkout, so up.sh/down.sh (and the tests and the bench through them) of one checkout never see,
# replace or stop another checkout's cluster. The built binaries above stay shared.
# run-<checkout dir name>-<first 12 hex of sha256(checkout path)>; CLUSTER_STATE overrides it.
cluster_state_of() {
  local sum
  sum="$(printf '%s' "$1" | sha256sum | cut -c1-12)"
  echo "$CLUSTER_CACHE/run-$(basename "$1" | tr -c 'A-Za-z0-9._\n-' '_')-$sum"
}
CLUSTER_STATE="${CLUSTER_STATE:-$(cluster_state_of "$CLUSTER_CHECKOUT")}"
# kwokctl picks its components' ports itself (the first free ones below 32767, checked by binding
# them): two clusters started at the same moment could pick the same ports before either binds
# them. up.sh holds this lock (shared by every checkout) from picking until all are listening.
CLUSTER_PORTS_LOCK="$CLUSTER_CACHE/ports.lock"
CLUSTER_NAME="${CLUSTER_NAME:-iub-e2e}"

k8s_dir() { echo "$CLUSTER_CACHE/kubernetes-$K8S_VERSION"; }
etcd_dir() { echo "$CLUSTER_CACHE/etcd-$ETCD_VERSION"; }
kwok_dir() { echo "$CLUSTER_CACHE/kwok-$KWOK_VERSION"; }
istioctl_dir() { echo "$CLUSTER_CACHE/istioctl-$1"; }

istio_versions() {
  local r
  for r in $ISTIO_RELEASES; do echo "${r%%|*}"; done
}

# istio_field <version> <2=pseudo-version|3=zip h1 sum|4=go.mod h1 sum|5=extra requires>
istio_field() {
  local r
  for r in $ISTIO_RELEASES; do
    if [ "${r%%|*}" = "$1" ]; then
      echo "$r" | cut -d'|' -f"$2"
      return 0
    fi
  done
  return 1
}

# ---- tools -----------------------------------------------------------------
# Closes every file descriptor above 2 this shell inherited (fd 255 is the script bash reads), so
# the long-lived processes it starts cannot hold a caller's file open: e.g. the lock of
# `flock <lockfile> npm run cluster:up`, which a cluster's daemons would otherwise hold until it stops.
close_inherited_fds() {
  local fd
  for fd in /proc/$$/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] && [ "$fd" != 255 ]; then eval "exec $fd>&-"; fi
  done
}

log() { printf '[cluster] %s\n' "$*" >&2; }
die() {
  printf '[cluster] ERROR: %s\n' "$1" >&2
  exit "${2:-1}"
}

# Finds go on PATH or in /usr/local/go/bin; exits 3 with a clear message if absent.
find_go() {
  if command -v go >/dev/null 2>&1; then
    GO="$(command -v go)"
  elif [ -x /usr/local/go/bin/go ]; then
    GO=/usr/local/go/bin/go
  else
    die "Go is not installed (looked on PATH and in /usr/local/go/bin). The cluster binaries are built from Go modules: install Go >= 1.24 and rerun." 3
  fi
  export GO
}

# A go environment of our own so that builds are reproducible and cleanable.
go_env() {
  export GOMODCACHE="$CLUSTER_GO_DIR/mod"
  export GOCACHE="$CLUSTER_GO_DIR/build"
  export GOPATH="$CLUSTER_GO_DIR/path"
  export GOTOOLCHAIN=local
  export GOFLAGS="-mod=mod -buildvcs=false"
  export CGO_ENABLED=0
  mkdir -p "$GOMODCACHE" "$GOCACHE" "$GOPATH"
}
