// A rollback leaves the mesh whole: the gateway the canary install upgraded in place is reinstalled at
// the old revision before the canary is uninstalled (which would delete it), the tag the install created
// by itself is removed, and the finish refuses to uninstall a revision whose install still owns a gateway.
// The stand-in behaves as istioctl does (install takes the gateway over; uninstall deletes what it owns).
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import type { Engine } from '../../src/engine/index.js';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  approveUntilEnd,
  BOB,
  meshState,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';

const cmd: UpgradeCommand = { kind: 'upgrade', version: '1.24.2', strategy: 'labels', dryRun: false };
const GW = { namespace: 'istio-system', name: 'istio-ingressgateway', revision: '1-23-1', version: '1.23.1' };
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function setup(tag: string, over: Partial<ReturnType<typeof meshState>> = {}) {
  const prefix = uniquePrefix(tag);
  const state = { ...meshState(), gateways: [], installGateways: [{ ...GW }], ...over };
  const cluster = await seededCluster('prod', prefix, state);
  engine = testEngine(prefix, standinRegistry([cluster]), new RecordingNotifier());
  await engine.startWorker();
  const req = await engine.service.request({ command: cmd, requester: ALICE });
  if (!req.ok) throw new Error(req.error.message);
  const e = engine;
  const end = (r: UpgradeRecord | null) => r && ['rolled_back', 'stopped', 'done'].includes(r.state);
  return {
    cluster,
    id: req.value.id,
    service: e.service,
    settled: () =>
      waitUntil(async () => {
        const r = await e.service.get(req.value.id);
        return end(r) ? r : null;
      }, 20_000),
  };
}

describe('rollback leaves the mesh whole', () => {
  it('the gateway upgraded in place by the canary install is reinstalled at the old revision, and the plan and the gateways step say so', async () => {
    const { cluster, id, service, settled } = await setup('gw');
    const r = await approveUntilEnd(service, id, { stopWhen: (x) => x.state === 'awaiting_approval' });
    expect(r.gateways?.inPlace).toEqual(['istio-system/istio-ingressgateway']);
    expect(r.audit.find((a) => a.detail?.startsWith('gateways:'))?.detail).toMatch(
      /1 gateway\(s\) on 1-24-2 \(upgraded in place by the install: istio-system\/istio-ingressgateway\)/,
    );
    expect((await cluster.state()).installGateways).toMatchObject([{ revision: '1-24-2' }]);
    await service.rollback({ id, actor: BOB, reason: 'INC-7' });
    const end = await settled();
    expect(end.state, JSON.stringify(end.stopped)).toBe('rolled_back');
    const s = await cluster.state();
    expect(s.controlPlanes.map((c) => c.revision)).toEqual(['1-23-1']);
    expect(s.installGateways).toEqual([GW]); // still there, back on the old revision and version
    expect(end.audit.filter((a) => a.action === 'compensated').map((a) => a.detail)).toEqual([
      'move_gateways_back',
      'restore_gateways',
      'restore_tags',
      'uninstall_canary',
    ]);
  });

  it('the default tag the install created by itself is removed, the other tags are left as they were', async () => {
    const none = await setup('tag0', {
      installCreatesDefaultTag: true,
      tags: [{ tag: 'prod-stable', revision: '1-23-1' }],
    });
    await approveUntilEnd(none.service, none.id, { stopWhen: (x) => x.state === 'awaiting_approval' });
    expect((await none.cluster.state()).tags).toContainEqual({ tag: 'default', revision: '1-24-2' });
    await none.service.rollback({ id: none.id, actor: BOB, reason: 'x' });
    expect((await none.settled()).state).toBe('rolled_back');
    expect((await none.cluster.state()).tags).toEqual([{ tag: 'prod-stable', revision: '1-23-1' }]);
  });
});

describe('the finish keeps gateways that serve traffic', () => {
  it('refuses to uninstall the old revision while its install still owns a gateway', async () => {
    const { cluster, id, service } = await setup('fin');
    await approveUntilEnd(service, id, { stopWhen: (x) => x.state === 'awaiting_approval' });
    // The gateway is back with the old install (say someone reinstalled the old profile by hand).
    await cluster.mutate((s) => {
      s.installGateways = [{ ...GW }];
    });
    const r = await approveUntilEnd(service, id, { timeoutMs: 30_000 });
    expect(r.state).toBe('stopped');
    expect(r.stopped).toMatchObject({ step: 'check_old_unused', code: 'verify_failed' });
    expect(r.stopped?.cause).toMatch(
      /istio-system\/istio-ingressgateway still belong\(s\) to the install of 1-23-1/,
    );
    expect((await cluster.state()).installGateways).toEqual([GW]);
    expect((await cluster.state()).controlPlanes.map((c) => c.revision)).toContain('1-23-1');
  });
});
