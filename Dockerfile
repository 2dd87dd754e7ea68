# syntax=docker/dockerfile:1
# istio-upgrade-bot: build the TypeScript, fetch the istioctl versions the bot may install (SHA-256
# verified), and run as a non-root user on a small Node 20 runtime.
#
#   docker build \
#     --build-arg ISTIO_VERSIONS="1.26.3 1.27.1" \
#     --build-arg ISTIO_SHA256S="1.26.3=<sha256 of istioctl-1.26.3-linux-amd64.tar.gz> 1.27.1=<sha256>" \
#     -t istio-upgrade-bot .
# The checksums are the ones published beside each release archive; the build refuses a version
# without one.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM debian:bookworm-slim AS istioctl
ARG ISTIO_VERSIONS=""
ARG ISTIO_SHA256S=""
ARG ISTIO_RELEASE_URL=https://github.com/istio/istio/releases/download
ARG TARGETARCH=amd64
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN set -eu; mkdir -p /opt/istioctl; \
    for v in $ISTIO_VERSIONS; do \
      f="istioctl-$v-linux-$TARGETARCH.tar.gz"; \
      want="$(printf '%s\n' $ISTIO_SHA256S | sed -n "s/^$v=//p")"; \
      [ -n "$want" ] || { echo "ISTIO_SHA256S has no checksum for $v" >&2; exit 1; }; \
      curl -fsSL --retry 3 -o "/tmp/$f" "$ISTIO_RELEASE_URL/$v/$f"; \
      echo "$want  /tmp/$f" | sha256sum -c -; \
      mkdir -p "/opt/istioctl/$v"; tar -xzf "/tmp/$f" -C "/opt/istioctl/$v" istioctl; rm "/tmp/$f"; \
    done

# helm, for Helm-managed meshes (docs/adr/0014-helm-canary-path.md): optional, checksum required.
#   --build-arg HELM_VERSION=3.21.4 --build-arg HELM_SHA256=<sha256 of helm-v3.21.4-linux-amd64.tar.gz>
ARG HELM_VERSION=""
ARG HELM_SHA256=""
ARG HELM_RELEASE_URL=https://get.helm.sh
RUN set -eu; mkdir -p /opt/helm; \
    if [ -n "$HELM_VERSION" ]; then \
      f="helm-v$HELM_VERSION-linux-$TARGETARCH.tar.gz"; \
      [ -n "$HELM_SHA256" ] || { echo "HELM_SHA256 is required with HELM_VERSION" >&2; exit 1; }; \
      curl -fsSL --retry 3 -o "/tmp/$f" "$HELM_RELEASE_URL/$f"; \
      echo "$HELM_SHA256  /tmp/$f" | sha256sum -c -; \
      tar -xzf "/tmp/$f" -C /tmp "linux-$TARGETARCH/helm"; mv "/tmp/linux-$TARGETARCH/helm" /opt/helm/helm; rm "/tmp/$f"; \
    fi

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=dev
LABEL org.opencontainers.image.title="istio-upgrade-bot" \
      org.opencontainers.image.description="Slack chat-ops bot for canary Istio upgrades in approved waves" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production ISTIOCTL_DIR=/opt/istioctl HEALTH_PORT=9090 HELM_PATH=/opt/helm/helm
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/bin ./bin
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=istioctl --chown=root:root /opt/istioctl /opt/istioctl
COPY --from=istioctl --chown=root:root /opt/helm /opt/helm
# The image's `node` user (uid 1000); the root filesystem can be mounted read-only.
USER 1000:1000
EXPOSE 3000 9090
# node is PID 1 and the bot handles SIGTERM/SIGINT itself (workers finish or hand back their job).
# --max-old-space-size=512: with no limit of its own V8 sizes the heap from the machine's memory and
# let a wave's short-lived list pages pile up (worker peak RSS ~210 MB for a 500-workload wave on a
# 24 GB node, ~165 MB with the flag); 512 MB leaves the live set (~50 MB at 3,000 workloads) room to
# grow and stays under the chart's worker limit (ADR 23). npm start passes the same flag.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--max-old-space-size=512", "dist/src/main.js"]
