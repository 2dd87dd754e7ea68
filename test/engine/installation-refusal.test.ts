// Request time: a mesh the bot cannot upgrade safely (Helm-managed istiod, ambient, a mix) is refused
// through the service's refusal path (the refusal log), nothing is recorded and no istioctl runs; an
// istioctl mesh is planned and its record says which installer each revision has and what will run.
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { Engine } from '../../src/engine/index.js';
import { type StandinState, standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  meshState,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
} from '../support/engine-harness.js';

const cmd: UpgradeCommand = { kind: 'upgrade', version: '1.24.2', strategy: 'labels', dryRun: false };
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function setup(tag: string, over: Partial<StandinState>) {
  const prefix = uniquePrefix(tag);
  const cluster = await seededCluster('prod', prefix, { ...meshState(), ...over });
  engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
  return { cluster, service: engine.service };
}

describe('request refuses what the bot cannot upgrade safely', () => {
  it.each<[string, Partial<StandinState>, string, RegExp]>([
    [
      'an ambient mesh',
      { ambient: { ztunnel: ['istio-system/ztunnel'], namespaces: ['app-a'] } },
      'ambient_mesh',
      /ambient mode \(ztunnel DaemonSet istio-system\/ztunnel; namespaces labelled istio.io\/dataplane-mode=ambient: app-a\)/,
    ],
    [
      'a mix of istioctl and Helm revisions',
      {
        controlPlanes: [
          { revision: '1-23-1', version: '1.23.1', ready: true },
          { revision: '1-22-0', version: '1.22.0', ready: true },
        ],
        installers: { '1-22-0': 'helm' },
      },
      'mixed_installation',
      /a mix the bot cannot undo safely: 1-23-1: istioctl \(istiod-1-23-1\); 1-22-0: Helm release istiod-1-22-0/,
    ],
  ])('%s: %s, in the refusal log, nothing recorded, so no step runs', async (_what, over, code, message) => {
    const { service } = await setup(code, over);
    const res = await service.request({ command: cmd, requester: ALICE });
    expect(res).toMatchObject({ ok: false, error: { code } });
    expect(!res.ok && res.error.message).toMatch(message);
    expect(!res.ok && res.error.hint).toBeTruthy();
    const [logged] = await service.refusals(5);
    expect(logged).toMatchObject({
      user: ALICE.user,
      reason: expect.stringContaining(`${code}: 1.24.2 on prod:`),
    });
    expect(await service.list({})).toEqual([]);
  });

  it('the installation refusal comes before a planning refusal (a tags request without the tag)', async () => {
    const { service } = await setup('order', {
      controlPlanes: [
        { revision: '1-23-1', version: '1.23.1', ready: true },
        { revision: '1-22-0', version: '1.22.0', ready: true },
      ],
      installers: { '1-22-0': 'helm' },
      tags: [],
    });
    const res = await service.request({ command: { ...cmd, strategy: 'tags' }, requester: ALICE });
    expect(res).toMatchObject({ ok: false, error: { code: 'mixed_installation' } });
    expect(!res.ok && res.error.hint).toMatch(/--set revision=1-24-2/);
  });

  it('a failed installation read refuses with kube_api, like the rest of the mesh read', async () => {
    const { cluster, service } = await setup('fail', {});
    await cluster.failNext('installation.inspect', 'kube_api' as never, 'apiserver down');
    const res = await service.request({ command: cmd, requester: ALICE });
    expect(res).toMatchObject({ ok: false, error: { code: 'kube_api' } });
    expect(!res.ok && res.error.message).toMatch(/apiserver down/);
  });

  it('an istioctl mesh is planned; its record says the installer and the commands', async () => {
    const { service } = await setup('ok', {});
    const res = await service.request({ command: cmd, requester: ALICE });
    expect(res.ok).toBe(true);
    const entry = res.ok ? res.value.audit.find((a) => a.action === 'installation') : undefined;
    expect(entry?.detail).toBe(
      '1-23-1: istioctl (istiod-1-23-1). Commands: istioctl 1.24.2 x precheck; istioctl 1.24.2 install --set revision=1-24-2 -y; ' +
        "label each wave's namespaces istio.io/rev=1-24-2 and restart their workloads; " +
        'istioctl tag set default --revision 1-24-2 --overwrite -y (and every other tag on 1-23-1); istioctl 1.23.1 uninstall --revision 1-23-1 -y',
    );
  });

  it('a Helm-managed istiod is planned on the Helm canary path: the record names the release, the audit the helm commands', async () => {
    const { service } = await setup('helm', { installers: { '1-23-1': 'helm' } });
    const res = await service.request({ command: { ...cmd, dryRun: true }, requester: ALICE });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.value.installer).toEqual({ kind: 'helm', namespace: 'istio-system', istiod: 'istiod-1-23-1' });
    const entry = res.value.audit.find((a) => a.action === 'installation');
    expect(entry?.detail).toContain('1-23-1: Helm release istiod-1-23-1 in istio-system');
    expect(entry?.detail).toContain(
      'helm get values istiod-1-23-1 -n istio-system -o json, then helm install istiod-1-24-2 istiod --version 1.24.2',
    );
    expect(entry?.detail).toContain('helm uninstall istiod-1-23-1 -n istio-system');
    expect(entry?.detail).not.toContain('istioctl 1.24.2 install');
  });
});
