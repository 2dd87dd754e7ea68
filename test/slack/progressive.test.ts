// Progressive mode and the automatic rollback in Slack (issue 13), through the notifier against the
// emulator: the thread says when a wave starts without approval and why (and when it waits for the
// change window); a rollback by the policy's onFailure posts the evidence into the incident channels,
// a person's rollback does not (that one is announced by the command itself).
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import { DEFAULT_ANALYSIS, type WaveAnalysisResult } from '../../src/domain/upgrade/analysis.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import { hhmm } from '../../src/slack/blocks/progressive.js';
import { boltLogger } from '../../src/slack/bolt-logger.js';
import { createSlackNotifier, type SlackNotifier } from '../../src/slack/notifier.js';
import { createMemoryStore } from '../../src/slack/store.js';
import { AnalysisStandin } from '../support/cluster-standin-analysis.js';
import { silentLogger, waitUntil } from '../support/engine-harness.js';
import { SlackEmulator } from '../support/slack-emulator/server.js';
import { record } from '../support/slack-fixtures.js';
import {
  approvalMessageFor,
  CH,
  type SlackHarness,
  startSlackHarness,
  TEST_POLICY,
  TEST_RETRY,
  USERS,
} from '../support/slack-harness.js';

let emu: SlackEmulator;
let notifier: SlackNotifier;

beforeEach(async () => {
  emu = await new SlackEmulator().start();
  emu.state.addUser('U0ALICE').addChannel('C0OPS', 'ops').addChannel('C0INC', 'incidents');
  const client = new webApi.WebClient(emu.state.botToken, {
    slackApiUrl: emu.apiUrl,
    retryConfig: TEST_RETRY,
    logger: boltLogger(silentLogger()),
  });
  notifier = createSlackNotifier({
    client,
    store: createMemoryStore(),
    logger: silentLogger(),
    incidentChannels: ['C0INC'],
  });
});
afterEach(async () => emu.stop());

const failed: WaveAnalysisResult = {
  spec: 'default',
  verdict: 'failed',
  reason: '1 check(s) failed (limit 0): request-success-rate of app-b 70 %, wanted ≥ 99',
  checks: 1,
  failedChecks: 1,
  startedAt: '2026-11-22T02:00:00.000Z',
  finishedAt: '2026-11-22T02:01:00.000Z',
  measurements: [
    {
      target: 'app-b',
      metric: 'request-success-rate',
      unit: '%',
      baseline: 100,
      value: 70,
      limit: '≥ 99',
      verdict: 'fail',
    },
  ],
  queries: 4,
};
const threadOf = (r: UpgradeRecord) => {
  const parent = emu.state.channelMessages(r.channel)[0]!;
  return emu.state.thread(r.channel, parent.ts).map((m) => m.text);
};

describe('progressive mode in the thread', () => {
  it('says which wave starts when, without approval, and why; and when it waits for the change window', async () => {
    const at = new Date(Date.now() + 10 * 60_000).toISOString();
    const r = record({
      state: 'running',
      approval: undefined,
      progressive: { bakeMs: 600_000, autoFirstWave: false, autoFinish: false, source: 'policy' },
      autoStart: { step: 'await_wave_approval', wave: 2, at, reason: 'progressive, wave 1 analysis passed' },
    });
    await notifier.notify({ type: 'auto_start', key: `${r.id}:auto:3`, record: r });
    const later = '2026-12-07T08:00:00.000Z';
    const deferred = {
      ...r,
      autoStart: { ...r.autoStart!, at: later, deferred: 'Cluster prod is outside its change windows' },
    };
    await notifier.notify({ type: 'auto_start', key: `${r.id}:auto:4`, record: deferred });
    await notifier.notify({ type: 'auto_start', key: `${r.id}:auto:4`, record: deferred }); // a re-run: once
    await notifier.idle();
    expect(threadOf(r)).toEqual([
      `up-abcd: Wave 2 of 2 starts at ${at.slice(11, 16)} UTC without approval (progressive, wave 1 analysis passed)`,
      'up-abcd: Wave 2 of 2 starts at 2026-12-07 08:00 UTC without approval (progressive, wave 1 analysis passed); it waits for the change window: Cluster prod is outside its change windows',
    ]);
    const blocks = JSON.stringify(
      emu.state.thread(r.channel, emu.state.channelMessages(r.channel)[0]!.ts)[0],
    );
    expect(blocks).toContain('/istio pause up-abcd');
    expect(hhmm('2026-12-07T08:05:00Z', Date.parse('2026-12-07T01:00:00Z'))).toBe('08:05 UTC');
  });
});

describe('an automatic rollback in the incident channels', () => {
  const rolling = (by: string): UpgradeRecord =>
    record({
      state: 'rolling_back',
      approval: undefined,
      currentWave: 2,
      step: 'analyze_wave',
      waves: [
        { index: 1, namespaces: ['app-a'], status: 'done' },
        { index: 2, namespaces: ['app-b'], status: 'failed', analysis: failed },
      ],
      rollback: {
        by,
        reason: `wave 2 analysis failed: ${failed.reason}`,
        channel: 'C0OPS',
        at: failed.finishedAt,
        uninstallCanary: true,
      },
    });

  it('posts the evidence there (the failed wave’s table and reason) and where the thread is', async () => {
    const r = rolling('engine');
    await notifier.notify({ type: 'planned', key: `${r.id}:planned`, record: r });
    await notifier.notify({
      type: 'state_changed',
      key: `${r.id}:state:rollback:7`,
      record: r,
      by: 'engine',
      reason: r.rollback!.reason,
    });
    await notifier.idle();
    const inc = emu.state.channelMessages('C0INC');
    expect(inc.map((m) => m.text)).toEqual([
      `up-abcd is being rolled back automatically on prod: ${failed.reason}`,
    ]);
    const body = JSON.stringify(inc[0]!.blocks);
    expect(body).toContain('wave 2 of 2 (app-b) failed its traffic analysis');
    expect(body).toContain('onFailure: rollback');
    expect(body).toContain('app-b   success-rate 100% → 70.0% FAIL');
    const parent = emu.state.channelMessages('C0OPS')[0]!;
    expect(body).toContain(`https://slack.com/archives/C0OPS/p${parent.ts.replace('.', '')}`);
    // the thread has the state change with the evidence too
    expect(threadOf(r).join('\n')).toContain('request-success-rate of app-b 70 %');
  });

  it('a rollback a person asked for is not posted there by the notifier', async () => {
    const r = rolling('U0ALICE');
    await notifier.notify({
      type: 'state_changed',
      key: `${r.id}:state:rollback:7`,
      record: r,
      by: 'U0ALICE',
      reason: 'manual',
    });
    await notifier.idle();
    expect(emu.state.channelMessages('C0INC')).toEqual([]);
  });
});

describe('progressive mode through Slack', () => {
  let h: SlackHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('after wave 1 is approved and passes, the thread says when wave 2 starts; Pause on that message stops it', async () => {
    const policy: Policy = {
      ...TEST_POLICY,
      clusters: {
        prod: {
          channels: [CH.ops],
          analysis: { name: 'default', ...DEFAULT_ANALYSIS, intervalMs: 50, count: 1 },
          progressive: { bakeMs: 2_500, autoFirstWave: false, autoFinish: false },
        },
      },
    };
    h = await startSlackHarness('http', { policy, analysis: new AnalysisStandin() });
    await h.emu.command({ user: USERS.alice, channel: CH.ops, text: 'upgrade 1.24.2 --waves "app-a;app-b"' });
    const id = await waitUntil(async () => (await h!.engine.service.list({ activeOnly: true }))[0]?.id);
    const a1 = await approvalMessageFor(h, id, 'wave 1');
    await h.emu.click({ user: USERS.bob, channel: CH.ops, ts: a1.ts, actionId: 'approve' });
    const parent = await waitUntil(async () => (await h!.engine.service.get(id))?.messages?.parent);
    const auto = await waitUntil(async () =>
      h!.emu.state.thread(CH.ops, parent).find((m) => m.text.includes('starts at')),
    );
    expect(auto.text).toMatch(
      new RegExp(
        `^${id}: Wave 2 of 2 starts at \\d\\d:\\d\\d UTC without approval \\(progressive, wave 1 analysis passed\\)$`,
      ),
    );
    await h.emu.click({ user: USERS.alice, channel: CH.ops, ts: auto.ts, actionId: 'pause' });
    await waitUntil(async () => (await h!.engine.service.get(id))?.state === 'paused');
    await new Promise((r) => setTimeout(r, 3_000));
    const r = (await h.engine.service.get(id))!;
    expect(r).toMatchObject({ state: 'paused', step: 'await_wave_approval', currentWave: 2 });
    expect(r.waves[1]!.startedAt).toBeUndefined();
  }, 30_000);
});
