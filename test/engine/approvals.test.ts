// Approvals under contention, stale approvals, one active upgrade per cluster.
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeCommand } from '../../src/domain/command/types.js';
import type { Engine } from '../../src/engine/index.js';
import { standinRegistry } from '../support/cluster-standin.js';
import {
  ALICE,
  approveUntilEnd,
  BOB,
  RecordingNotifier,
  seededCluster,
  testEngine,
  uniquePrefix,
  waitUntil,
} from '../support/engine-harness.js';

const cmd = (over: Partial<UpgradeCommand> = {}): UpgradeCommand => ({
  kind: 'upgrade',
  version: '1.24.2',
  strategy: 'labels',
  dryRun: false,
  waves: [['app-a'], ['app-b', 'app-c']],
  ...over,
});

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

describe('approvals', () => {
  it('100 concurrent duplicate approvals of one wave: the wave runs once', async () => {
    const prefix = uniquePrefix('dup');
    const cluster = await seededCluster('prod', prefix);
    const notifier = new RecordingNotifier();
    const a = testEngine(prefix, standinRegistry([cluster]), notifier);
    const b = testEngine(prefix, standinRegistry([cluster]), notifier); // a second bot process
    engines.push(a, b);
    await a.startWorker();
    await b.startWorker();
    const req = await a.service.request({ command: cmd(), requester: ALICE });
    if (!req.ok) throw new Error(req.error.message);
    const id = req.value.id;
    const waiting = await waitUntil(async () => {
      const r = await a.service.get(id);
      return r?.state === 'awaiting_approval' ? r : null;
    });
    const nonce = waiting.approval!.nonce;
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 ? a : b).service.approve({ id, nonce, actor: i % 3 ? ALICE : BOB }),
      ),
    );
    const accepted = results.filter((r) => r.ok);
    expect(accepted).toHaveLength(1);
    for (const r of results.filter((x) => !x.ok))
      expect(r.ok ? null : r.error).toMatchObject({
        code: 'step_not_pending',
        message: expect.stringMatching(/already approved by U0/),
      });

    const next = await waitUntil(async () => {
      const r = await a.service.get(id);
      return r?.state === 'awaiting_approval' && r.approval?.wave === 2 ? r : null;
    });
    const restarts = await cluster.restarts();
    expect(restarts.filter((x) => x.workload.startsWith('app-a/'))).toHaveLength(2);
    expect(next.decisions.filter((d) => d.wave === 1 && d.outcome === 'approved')).toHaveLength(1);
    const starts = next.audit.filter(
      (x) => x.action === 'step_started' && x.detail?.startsWith('move_namespaces wave 1'),
    );
    expect(starts).toHaveLength(1);
    expect(
      notifier.events.filter((e) => e.type === 'step_started' && e.step === 'move_namespaces'),
    ).toHaveLength(1);

    // a stale approval (wave 1's nonce) for a step no longer pending is refused with the reason
    const stale = await a.service.approve({ id, nonce, actor: ALICE });
    expect(stale).toMatchObject({ ok: false, error: { code: 'step_not_pending' } });
    expect(stale.ok ? '' : stale.error.message).toMatch(
      /out of date: up-\w+ now waits for await_wave_approval of wave 2/,
    );
    // once the upgrade is done, approvals are refused too
    const end = await approveUntilEnd(a.service, id);
    expect(end.state).toBe('done');
    const late = await a.service.approve({ id, nonce: end.decisions.at(-1)!.at, actor: ALICE });
    expect(late.ok ? '' : late.error.message).toMatch(
      /Nothing in up-\w+ is waiting for an approval \(it is done/,
    );
    expect(await cluster.restarts()).toHaveLength(6);
  }, 30_000);
});

describe('one active upgrade per cluster', () => {
  it('a second upgrade on a busy cluster is refused with the running id; another cluster runs', async () => {
    const prefix = uniquePrefix('busy');
    const prod = await seededCluster('prod', prefix);
    const stage = await seededCluster('stage', prefix);
    const e = testEngine(prefix, standinRegistry([prod, stage]), new RecordingNotifier());
    engines.push(e);
    await e.startWorker();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        e.service.request({ command: cmd({ cluster: 'prod' }), requester: ALICE }),
      ),
    );
    const ok = results.filter((r) => r.ok);
    expect(ok).toHaveLength(1);
    const running = ok[0]!.ok ? ok[0]!.value.id : '';
    for (const r of results.filter((x) => !x.ok)) {
      expect(r).toMatchObject({ ok: false, error: { code: 'cluster_busy' } });
      expect(r.ok ? '' : r.error.message).toContain(running);
    }
    const other = await e.service.request({ command: cmd({ cluster: 'stage' }), requester: BOB });
    if (!other.ok) throw new Error(other.error.message);
    expect(other.value.cluster).toBe('stage');
    const [endStage, endProd] = await Promise.all([
      approveUntilEnd(e.service, other.value.id),
      approveUntilEnd(e.service, running),
    ]);
    expect(endStage.state).toBe('done');
    expect(endProd.state).toBe('done');
    expect((await stage.state()).controlPlanes.map((c) => c.revision)).toEqual(['1-24-2']);
    const again = await e.service.request({
      command: cmd({ cluster: 'prod', version: '1.25.0' }),
      requester: ALICE,
    });
    expect(again.ok).toBe(true);
    expect((await e.service.list({ cluster: 'prod' })).length).toBe(2);
  }, 30_000);

  it('refuses unknown clusters and bad plans with the reason', async () => {
    const prefix = uniquePrefix('refuse');
    const prod = await seededCluster('prod', prefix);
    const e = testEngine(prefix, standinRegistry([prod]), new RecordingNotifier());
    engines.push(e);
    expect(await e.service.request({ command: cmd({ cluster: 'nope' }), requester: ALICE })).toMatchObject({
      ok: false,
      error: { code: 'unknown_cluster', hint: 'Known clusters: prod.' },
    });
    expect(await e.service.request({ command: cmd({ waves: [['ghost']] }), requester: ALICE })).toMatchObject(
      {
        ok: false,
        error: { code: 'unknown_namespace' },
      },
    );
    expect(await e.service.request({ command: cmd({ waves: [['plain']] }), requester: ALICE })).toMatchObject(
      {
        ok: false,
        error: { code: 'namespace_not_injected' },
      },
    );
    expect(await e.service.request({ command: cmd({ version: '1.27.0' }), requester: ALICE })).toMatchObject({
      ok: false,
      error: { code: 'skew_too_large' },
    });
    expect(await e.service.list()).toEqual([]);
  });
});
