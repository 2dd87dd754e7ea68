/**
 * STAND-IN CLUSTER ports (see cluster-standin.ts): every engine port over the stand-in's state.
 */
import type { NamespaceTarget } from '../../src/domain/upgrade/record.js';
import type { ClusterPorts, Workload, WorkloadRef } from '../../src/engine/ports.js';
import { CodedError } from '../../src/errors.js';
import { ClusterStandin, type StandinState } from './cluster-standin.js';
import { proxyStatusTable } from './cluster-standin-ps.js';

export function standinPorts(self: ClusterStandin): ClusterPorts {
  const wl = (s: StandinState, r: WorkloadRef) =>
    s.workloads.find((w) => w.kind === r.kind && w.namespace === r.namespace && w.name === r.name);
  return {
    inspector: {
      // Read-only (no failNext: reads from other processes must not write the state); `delays` apply.
      async controlPlanes(signal?: AbortSignal) {
        const delay = (await self.state()).delays?.['inspector.controlPlanes'] ?? 0;
        if (delay > 0) await self.slow('inspector.controlPlanes', delay, signal);
        return (await self.state()).controlPlanes;
      },
      tags: async () => (await self.state()).tags,
      namespaces: async () => (await self.state()).namespaces,
      gatewayNamespaces: async () =>
        [...new Set((await self.state()).gateways.map((g) => g.namespace))].sort(),
      async workloads(namespaces: string[], signal?: AbortSignal): Promise<Workload[]> {
        await self.maybeFail('inspector.workloads', signal);
        return (await self.state()).workloads
          .filter((w) => namespaces.includes(w.namespace))
          .map((w) => ({
            kind: w.kind,
            namespace: w.namespace,
            name: w.name,
            paused: !!w.paused,
            onDelete: !!w.onDelete,
          }));
      },
      async sidecars(namespaces: string[], signal?: AbortSignal) {
        await self.maybeFail('inspector.sidecars', signal);
        return self.pods(await self.state(), namespaces);
      },
    },
    installer: {
      async precheck(_version: string, signal?: AbortSignal) {
        await self.maybeFail('installer.precheck', signal);
        return (await self.state()).precheck;
      },
      async install(version: string, revision: string, signal?: AbortSignal) {
        await self.maybeFail('installer.install', signal);
        await self.mutate((s) => {
          if (!s.controlPlanes.some((c) => c.revision === revision))
            s.controlPlanes.push({ revision, version, ready: true });
          for (const g of s.installGateways ?? []) Object.assign(g, { revision, version }); // taken over in place
          if (s.installCreatesDefaultTag && !s.tags.some((t) => t.tag === 'default'))
            s.tags.push({ tag: 'default', revision });
        });
      },
      async verify(revision: string, signal?: AbortSignal) {
        await self.maybeFail('installer.verify', signal);
        const cp = (await self.state()).controlPlanes.find((c) => c.revision === revision);
        if (!cp?.ready)
          throw new CodedError('verify_failed', `Deployment istiod-${revision} is not available`);
      },
      async uninstall(_version: string, revision: string, signal?: AbortSignal) {
        await self.maybeFail('installer.uninstall', signal);
        await self.mutate((s) => {
          s.controlPlanes = s.controlPlanes.filter((c) => c.revision !== revision);
          s.installGateways = (s.installGateways ?? []).filter((g) => g.revision !== revision); // pruned
        });
      },
    },
    tagger: {
      async setTag(tag: string, revision: string, signal?: AbortSignal) {
        await self.maybeFail('tagger.setTag', signal);
        await self.mutate((s) => {
          if (!s.controlPlanes.some((c) => c.revision === revision))
            throw new CodedError(
              'istioctl_failed',
              `cannot modify tag: cannot find MutatingWebhookConfiguration or Service with revision "${revision}"`,
            );
          s.tags = [...s.tags.filter((t) => t.tag !== tag), { tag, revision }];
        });
      },
      async removeTag(tag: string) {
        await self.mutate((s) => {
          s.tags = s.tags.filter((t) => t.tag !== tag);
        });
      },
    },
    mover: {
      async point(namespace: string, target: NamespaceTarget, signal?: AbortSignal) {
        await self.maybeFail('mover.point', signal);
        await self.mutate((s) => {
          const n = s.namespaces.find((x) => x.name === namespace);
          if (!n) throw new CodedError('kube_api', `namespaces "${namespace}" not found`);
          if ('injection' in target) {
            n.injection = 'enabled';
            n.rev = null;
          } else {
            n.injection = null;
            n.rev = 'revision' in target ? target.revision : target.tag;
          }
        });
      },
    },
    gateways: {
      async moveGateways(revision: string, signal?: AbortSignal) {
        await self.maybeFail('gateways.moveGateways', signal);
        return self.mutate((s) =>
          s.gateways.map((g) => {
            g.revision = revision;
            return { kind: 'Deployment' as const, namespace: g.namespace, name: g.name };
          }),
        );
      },
    },
    installation: {
      async inspect(signal?: AbortSignal) {
        await self.maybeFail('installation.inspect', signal);
        const s = await self.state();
        const ns = 'istio-system';
        const revisions = s.controlPlanes.map((c) => {
          const deployment = c.revision === 'default' ? 'istiod' : `istiod-${c.revision}`;
          const installer = s.installers?.[c.revision] ?? 'istioctl';
          return installer === 'helm'
            ? {
                revision: c.revision,
                deployment,
                installer,
                release: { name: deployment, namespace: ns, status: 'deployed', version: 1 },
              }
            : { revision: c.revision, deployment, installer };
        });
        return {
          istioNamespace: ns,
          revisions,
          helmReleases: revisions.flatMap((r) => (r.release ? [r.release] : [])),
          ambient: { ztunnel: [], cni: [], namespaces: [], waypoints: [], ...s.ambient },
        };
      },
    },
    installedGateways: {
      async ownedBy(revision: string, signal?: AbortSignal) {
        await self.maybeFail('installedGateways.ownedBy', signal);
        return ((await self.state()).installGateways ?? [])
          .filter((g) => g.revision === revision)
          .map((g) => ({ kind: 'Deployment' as const, namespace: g.namespace, name: g.name }));
      },
      async snapshot(revision: string) {
        const owned = ((await self.state()).installGateways ?? []).filter((g) => g.revision === revision);
        return {
          data: JSON.stringify(owned),
          gateways: owned.map((g) => ({ kind: 'Deployment' as const, namespace: g.namespace, name: g.name })),
        };
      },
      async restore(snapshot: string, signal?: AbortSignal) {
        await self.maybeFail('installedGateways.restore', signal);
        const want = JSON.parse(snapshot) as NonNullable<StandinState['installGateways']>;
        return self.mutate((s) => {
          const kept = (s.installGateways ?? []).filter(
            (g) => !want.some((w) => w.namespace === g.namespace && w.name === g.name),
          );
          s.installGateways = [...kept, ...want.map((w) => ({ ...w }))];
          return want.map((w) => ({ kind: 'Deployment' as const, namespace: w.namespace, name: w.name }));
        });
      },
    },
    restarter: {
      async restart(workloads: WorkloadRef[], restartedAt: string, signal?: AbortSignal) {
        await self.maybeFail('restarter.restart', signal);
        await self.mutate(
          (s) => {
            const out: string[] = [];
            for (const r of workloads) {
              const w = wl(s, r);
              if (!w) throw new CodedError('kube_api', `${r.kind} ${r.namespace}/${r.name} not found`);
              if (w.paused)
                throw new CodedError(
                  'kube_api',
                  `can't restart paused deployment (run rollout resume first)`,
                );
              if (w.restartedAt === restartedAt) continue; // same template: no new rollout
              w.restartedAt = restartedAt;
              w.rolloutStartedAt = self.now();
              w.nextRevision = ClusterStandin.injectorRevision(s, w.namespace);
              out.push(`${w.namespace}/${w.kind}/${w.name}`);
            }
            return out;
          },
          (out) => out.map((workload) => JSON.stringify({ workload, restartedAt, at: self.now() })),
        );
      },
      async waitForRollouts(workloads, opts) {
        await self.maybeFail('restarter.waitForRollouts', opts.signal);
        const deadline = self.now() + opts.timeoutMs;
        for (;;) {
          if (opts.signal?.aborted) throw new Error('aborted');
          const s = await self.state();
          const ready = workloads.filter((r) => wl(s, r)?.rolloutStartedAt == null).length;
          opts.onProgress?.({ total: workloads.length, ready });
          if (ready === workloads.length) return;
          if (self.now() > deadline)
            throw new CodedError(
              'rollout_timeout',
              `${workloads.length - ready} rollout(s) not done in ${opts.timeoutMs} ms`,
            );
          await new Promise((r) => setTimeout(r, Math.max(5, self.tickMs / 3)));
        }
      },
    },
    proxyStatus: {
      async capture(revisions: string[], signal?: AbortSignal) {
        await self.maybeFail('proxyStatus.capture', signal);
        const s = await self.state();
        return revisions.map((rev) =>
          proxyStatusTable(
            s,
            self.pods(
              s,
              s.namespaces.map((n) => n.name),
            ),
            rev,
          ),
        );
      },
    },
  };
}
