// Issue 14, scenario 3, end to end: an ambient mesh installed with the REAL helm from the REAL Istio
// charts (istiod of the ambient profile, istio-cni and ztunnel on both KWOK nodes, one ambient
// namespace with a waypoint, one sidecar namespace; test/support/ambient-mesh.ts), upgraded through
// Slack by the REAL engine: the istiod Helm canary, the sidecar namespace in a namespace wave, ztunnel
// and istio-cni upgraded in place held at OnDelete and moved in node waves approved in Slack (each
// node cordoned while its agents are replaced), the per-node table posted, the hold given back, the
// waypoint on the new revision after the tag move. No ambient pod is restarted. The target is the
// newer test version: the 1.25 charts have no updateStrategy value to hold (ADR 20).
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { imageVersion } from '../../src/domain/upgrade/ambient/index.js';
import { helmPath } from '../helm/helm-support.js';
import {
  type AmbientMesh,
  helmCli,
  installAmbientMesh,
  SYS,
  teardownAmbientMesh,
} from '../support/ambient-mesh.js';
import { kubeConfig, waitFor } from '../support/cluster-harness.js';
import {
  approvalMessage,
  approve,
  dumpThread,
  expectUninstalled,
  istiods,
  LONG,
  pods,
  record,
  requestUpgrade,
  type Scenario,
  secs,
  startScenario,
  threadOf,
  USERS,
  versions,
  waitForState,
} from './support-scenarios.js';

const cluster = inject('cluster');

/** Every pod of `namespace` has its sidecar from `revision` at `version` (the ambient profile's
 * distroless proxy image: `proxyv2:<version>-distroless`). */
const sidecarsOn = (namespace: string, revision: string, version: string) =>
  waitFor(
    `sidecars of ${namespace} on ${revision}`,
    async () => {
      const all = await pods(namespace);
      const ok =
        all.length > 0 &&
        all.every(
          (p) => p.revision === revision && p.proxyImage?.startsWith(`docker.io/istio/proxyv2:${version}`),
        );
      if (ok) return all;
      throw new Error(all.map((p) => `${p.pod} ${p.revision} ${p.proxyImage}`).join('; '));
    },
    120_000,
  );

/** Each node's ztunnel and istio-cni version, from their pods' images. */
async function agentVersions(core: k8s.CoreV1Api): Promise<Record<string, string[]>> {
  const pods = (await core.listNamespacedPod({ namespace: SYS })).items.filter(
    (p) => !p.metadata?.deletionTimestamp && p.spec?.nodeName,
  );
  const out: Record<string, string[]> = {};
  for (const p of pods) {
    const app = p.metadata?.labels?.app ?? p.metadata?.labels?.['k8s-app'] ?? '';
    if (app !== 'ztunnel' && app !== 'istio-cni-node') continue;
    const v = imageVersion(p.spec?.containers[0]?.image ?? '') ?? '?';
    const node = p.spec!.nodeName!;
    out[node] = [...(out[node] ?? []), `${app === 'ztunnel' ? 'ztunnel' : 'cni'} ${v}`];
  }
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

describe.skipIf(!cluster.available)(
  'scenario 14-3: an ambient mesh installed with Helm, in node waves',
  () => {
    const { OLD, NEW, R_OLD, R_NEW } = cluster.available ? versions() : ({} as ReturnType<typeof versions>);
    let mesh: AmbientMesh | undefined;
    let s: Scenario;
    const t0 = Date.now();

    beforeAll(async () => {
      mesh = await installAmbientMesh({ version: OLD, chartVersions: [OLD, NEW], prefix: 'sc14amb' });
      s = await startScenario({ helm: { bin: helmPath(), repo: mesh.repo.url } });
      console.log(`[scenario 14-3] ambient mesh ready in ${secs(t0)} s`);
    }, 900_000);
    afterAll(async () => {
      await s?.close();
      if (cluster.available) await teardownAmbientMesh(mesh);
      console.log(`[scenario 14-3] total ${secs(t0)} s`);
    });

    it(
      'control plane canary, the sidecar namespace in a wave, ztunnel and istio-cni node by node',
      LONG,
      async () => {
        const m = mesh!;
        const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
        const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
        const ambientPods = async () =>
          (await core.listNamespacedPod({ namespace: m.ambientNamespace })).items
            .filter((p) => p.metadata?.labels?.app === 'app')
            .map((p) => p.metadata?.uid)
            .sort();
        const uids = await ambientPods();
        expect(uids.length).toBeGreaterThan(0);
        const before = await agentVersions(core);
        expect(Object.keys(before).sort()).toEqual(m.nodes);

        const id = await requestUpgrade(s, `upgrade ${NEW}`);
        const r0 = await record(s, id);
        expect(r0.installer).toMatchObject({ kind: 'helm', namespace: SYS });
        expect(r0.waves.map((w) => (w.kind === 'nodes' ? `nodes:${w.nodes}` : `ns:${w.namespaces}`))).toEqual(
          [`ns:${m.sidecarNamespace}`, ...m.nodes.map((n) => `nodes:${n}`)],
        );
        expect(r0.ambient).toMatchObject({
          ambientNamespaces: [m.ambientNamespace],
          waypoints: [`${m.waypoint.namespace}/${m.waypoint.name}`],
        });

        await approve(s, id, 'wave 1');
        // the first node wave waits for its approval; no agent pod moved yet (held at OnDelete)
        await approvalMessage(s, id, 'wave 2');
        await sidecarsOn(m.sidecarNamespace, R_NEW, NEW);
        expect(await agentVersions(core)).toEqual(before);
        const held = JSON.parse(await helmCli(['get', 'values', 'ztunnel', '-n', SYS, '-o', 'json'])) as {
          updateStrategy?: { type?: string };
        };
        expect(held.updateStrategy?.type).toBe('OnDelete');

        await approve(s, id, 'wave 2');
        await approvalMessage(s, id, 'wave 3');
        const mid = await agentVersions(core);
        expect(mid[m.nodes[0]!]).toEqual([`cni ${NEW}`, `ztunnel ${NEW}`]);
        expect(mid[m.nodes[1]!]).toEqual(before[m.nodes[1]!]);
        await approve(s, id, 'wave 3');
        await approve(s, id, 'finish');
        const end = await waitForState(s, id, (r) => r.state === 'done', 600_000).catch(async (e) => {
          console.log(dumpThread(s, await record(s, id)));
          throw e;
        });
        await s.bot.notifier.idle();

        // every node's agents at the target; every node schedulable again
        const after = await agentVersions(core);
        for (const n of m.nodes) expect(after[n]).toEqual([`cni ${NEW}`, `ztunnel ${NEW}`]);
        for (const n of (await core.listNode()).items) expect(n.spec?.unschedulable ?? false).toBe(false);
        // the releases at the target, the hold given back
        const list = JSON.parse(await helmCli(['list', '-n', SYS, '-o', 'json'])) as {
          name: string;
          chart: string;
        }[];
        expect(list.find((x) => x.name === 'ztunnel')?.chart).toBe(`ztunnel-${NEW}`);
        expect(list.find((x) => x.name === 'istio-cni')?.chart).toBe(`cni-${NEW}`);
        expect(list.map((x) => x.name)).not.toContain(`istiod-${R_OLD}`);
        for (const rel of ['ztunnel', 'istio-cni']) {
          const v = JSON.parse(await helmCli(['get', 'values', rel, '-n', SYS, '-o', 'json'])) as {
            updateStrategy?: unknown;
          };
          expect(v.updateStrategy ?? null).toBeNull();
        }
        // no ambient pod restarted; the waypoint rendered by the new revision
        expect(await ambientPods()).toEqual(uids);
        const wp = await apps.readNamespacedDeployment({
          name: m.waypoint.name,
          namespace: m.waypoint.namespace,
        });
        expect(wp.spec?.template.metadata?.annotations?.['istio.io/rev']).toBe(R_NEW);
        // the old control plane gone
        await expectUninstalled(R_OLD);
        expect(await istiods()).toEqual([`istiod-${R_NEW}`]);
        // Slack: every wave approved by a person, the per-node table after each node wave
        expect(end.waves.map((w) => w.approvedBy)).toEqual([USERS.bob, USERS.bob, USERS.bob]);
        const tables = threadOf(s, end).filter(
          (x) => x.text.includes(`of ${id}: `) && x.text.includes('nodes on'),
        );
        expect(tables.map((x) => x.text)).toEqual([
          `Wave 2 of ${id}: 1 of 2 nodes on ${NEW}`,
          `Wave 3 of ${id}: 2 of 2 nodes on ${NEW}`,
        ]);
        expect(s.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
        console.log(`[scenario 14-3] upgrade done at ${secs(t0)} s`);
      },
    );
  },
);
