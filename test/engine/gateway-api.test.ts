// Gateway API gateways through the engine (ADR 17) on the stand-in cluster with the gateway stand-in
// (test/support/gateway-api-standin.ts): the plan records when each moves; the gateways step
// relabels the one pinned to the old revision; a wave moves the one following its namespace; the
// finish's tags move the one following `default`; a rollback puts every one back (labels restored,
// checks after the tag/namespace undo); a label changed by someone else stops the rollback with the
// reason; a gateway that would never move is refused at request time; check_old_unused stops on one
// still on the old revision.
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { Engine } from '../../src/engine/index.js';
import type { ClusterRegistry } from '../../src/engine/ports.js';
import { type StandinState, standinRegistry } from '../support/cluster-standin.js';
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
import { GatewayApiStandin, type StandinGatewayApiGateway } from '../support/gateway-api-standin.js';

const OLD = '1-23-1';
const NEW = '1-24-2';
const PIN = 'plain/pinned'; // labelled with the old revision
const NSGW = 'app-b/ns-gw'; // no label: follows app-b's istio.io/rev
const EDGE = 'plain/edge'; // no label anywhere: follows default
const GATEWAYS: StandinGatewayApiGateway[] = [
  { namespace: 'plain', name: 'pinned', revLabel: OLD },
  { namespace: 'app-b', name: 'ns-gw', revLabel: null },
  { namespace: 'plain', name: 'edge', revLabel: null },
];
const cmd = (waves: string[][]): UpgradeCommand => ({
  kind: 'upgrade',
  version: '1.24.2',
  strategy: 'labels',
  dryRun: false,
  waves,
});

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

async function start(tag: string, gateways = GATEWAYS, over: Partial<StandinState> = {}) {
  const prefix = uniquePrefix(tag);
  const cluster = await seededCluster('prod', prefix, { ...meshState(3), ...over });
  const gw = new GatewayApiStandin(cluster, gateways);
  const base = standinRegistry([cluster]);
  const ports = { ...base.get('prod')!, gatewayApi: gw };
  const registry: ClusterRegistry = { ...base, get: (n) => (n === 'prod' ? ports : undefined) };
  engine = testEngine(prefix, registry, new RecordingNotifier());
  await engine.startWorker();
  return { cluster, gw, service: engine.service };
}

describe('Gateway API gateways', () => {
  it('an upgrade moves each where istiod moves it and verifies it there', async () => {
    const { gw, service } = await start('gwapi-done');
    const req = await service.request({ command: cmd([['app-a'], ['app-b', 'app-c']]), requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    expect(req.value.gatewayApi?.gateways.map((g) => [g.gateway, g.servedBy, g.moves])).toEqual([
      [NSGW, OLD, 'moves in wave 2 with its namespace'],
      [EDGE, OLD, `moves at the finish, when \`default\` moves to \`${NEW}\``],
      [PIN, OLD, `the bot sets its label to \`${NEW}\` after the canary is ready, before wave 1`],
    ]);
    expect(req.value.gatewayApi?.warnings).toEqual([expect.stringContaining('istio#59959')]);
    const id = req.value.id;

    // before wave 1: only the pinned one moved, by its label
    const w1 = await approveUntilEnd(service, id, { stopWhen: (r) => r.step === 'await_wave_approval' });
    expect(w1.step).toBe('await_wave_approval');
    expect([await gw.renderedBy(PIN), await gw.renderedBy(NSGW), await gw.renderedBy(EDGE)]).toEqual([
      NEW,
      OLD,
      OLD,
    ]);
    expect(gw.relabels).toEqual([{ gateway: PIN, value: NEW }]);

    const end = await approveUntilEnd(service, id);
    expect(end.state, JSON.stringify(end.stopped)).toBe('done');
    for (const g of [PIN, NSGW, EDGE]) expect(await gw.renderedBy(g)).toBe(NEW);
    const details = end.audit.map((a) => a.detail ?? '');
    expect(details).toContainEqual(
      expect.stringMatching(/^gateways: .*Gateway API, relabelled: plain\/pinned/),
    );
    expect(details).toContainEqual(
      expect.stringMatching(/^verify_sidecars: .*Gateway API gateway\(s\) on 1-24-2: app-b\/ns-gw$/),
    );
    expect(details).toContainEqual(
      expect.stringMatching(/^move_tags: .*Gateway API gateway\(s\) on 1-24-2: .*plain\/edge/),
    );
  });

  it('a rollback after wave 2 puts every gateway back: the label restored, each checked after its undo', async () => {
    const { gw, service } = await start('gwapi-rollback');
    const req = await service.request({ command: cmd([['app-a'], ['app-b'], ['app-c']]), requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const id = req.value.id;
    const at = await approveUntilEnd(service, id, {
      stopWhen: (r) => r.step === 'await_wave_approval' && r.currentWave === 3,
    });
    expect(await gw.renderedBy(NSGW)).toBe(NEW);
    const kinds = at.compensations.map((c) => c.kind);
    // each check sits below the undo it follows (run in reverse: the undo first, then the check)
    expect(kinds.indexOf('verify_gateway_api')).toBeLessThan(kinds.lastIndexOf('move_namespaces_back'));
    expect(kinds.indexOf('gateway_api_labels_back')).toBeGreaterThan(kinds.indexOf('uninstall_canary'));
    expect((await service.rollback({ id, actor: BOB, reason: 'INC-7 gateway 5xx' })).ok).toBe(true);
    const end = await waitUntil(async () => {
      const r = await service.get(id);
      return r && ['rolled_back', 'stopped'].includes(r.state) ? r : null;
    });
    expect(end.state, JSON.stringify(end.stopped)).toBe('rolled_back');
    expect(gw.gateways.get(PIN)?.revLabel).toBe(OLD);
    for (const g of [PIN, NSGW, EDGE]) expect(await gw.renderedBy(g)).toBe(OLD);
    const undone = end.audit.filter((a) => a.action === 'compensated').map((a) => a.detail);
    expect(undone).toEqual(expect.arrayContaining(['gateway_api_labels_back', 'verify_gateway_api']));
  });

  it('a label someone else changed is not overwritten by the rollback: it stops and says so', async () => {
    const { gw, service } = await start('gwapi-changed');
    const req = await service.request({ command: cmd([['app-a', 'app-b', 'app-c']]), requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const id = req.value.id;
    await approveUntilEnd(service, id, { stopWhen: (r) => r.step === 'await_wave_approval' });
    gw.gateways.get(PIN)!.revLabel = 'prod-stable'; // a person points it at a tag meanwhile
    expect((await service.rollback({ id, actor: BOB, reason: 'stop' })).ok).toBe(true);
    const end = await waitUntil(async () => {
      const r = await service.get(id);
      return r && ['rolled_back', 'stopped'].includes(r.state) ? r : null;
    });
    expect(end.state).toBe('stopped');
    expect(end.stopped?.cause).toMatch(
      /the istio.io\/rev label of plain\/pinned \(now prod-stable\) was changed by someone else since the bot set it to 1-24-2: the rollback does not overwrite it/,
    );
    expect(gw.gateways.get(PIN)?.revLabel).toBe('prod-stable');
  });

  it('refuses at request time a gateway on the old revision no step would move; nothing recorded', async () => {
    const { gw, service } = await start('gwapi-stuck');
    const res = await service.request({ command: cmd([['app-a']]), requester: ALICE });
    expect(res).toMatchObject({ ok: false, error: { code: 'gateway_api_stuck' } });
    expect(!res.ok && res.error.message).toContain('app-b/ns-gw');
    expect(!res.ok && res.error.hint).toContain('--waves');
    expect(gw.relabels).toEqual([]);
    expect(await service.list()).toEqual([]);
  });

  it('check_old_unused stops on a gateway pinned back to the old revision, naming it', async () => {
    const { gw, service } = await start('gwapi-old', [{ namespace: 'plain', name: 'pinned', revLabel: OLD }]);
    const req = await service.request({ command: cmd([['app-a', 'app-b', 'app-c']]), requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    await approveUntilEnd(service, req.value.id, { stopWhen: (r) => r.step === 'await_wave_approval' });
    gw.gateways.get(PIN)!.revLabel = OLD; // someone pins it back
    const end = await approveUntilEnd(service, req.value.id);
    expect(end.state).toBe('stopped');
    expect(end.stopped?.step).toBe('check_old_unused');
    expect(end.stopped?.cause).toContain(`Gateway API gateway(s) still on ${OLD}: plain/pinned`);
  });
});
