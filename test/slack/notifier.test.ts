// The notifier against the emulator: order under 429s, no loss, dedup by event key, progress in place.
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import type { UpgradeEvent } from '../../src/engine/ports.js';
import { NOTIFIER_CLIENT } from '../../src/slack/app.js';
import { boltLogger } from '../../src/slack/bolt-logger.js';
import { createSlackNotifier, type SlackNotifier } from '../../src/slack/notifier.js';
import { createMemoryStore, type NotifierStore } from '../../src/slack/store.js';
import { silentLogger } from '../support/engine-harness.js';
import { SlackEmulator } from '../support/slack-emulator/server.js';
import { bigDiff, record } from '../support/slack-fixtures.js';
import { TEST_RETRY } from '../support/slack-harness.js';

let emu: SlackEmulator;
let store: NotifierStore;
let notifier: SlackNotifier;

beforeEach(async () => {
  emu = await new SlackEmulator().start();
  emu.state.addUser('U0ALICE').addChannel('C0OPS', 'ops');
  store = createMemoryStore();
  const client = new webApi.WebClient(emu.state.botToken, {
    slackApiUrl: emu.apiUrl,
    retryConfig: TEST_RETRY,
    logger: boltLogger(silentLogger()),
  });
  notifier = createSlackNotifier({ client, store, logger: silentLogger() });
});
afterEach(async () => emu.stop());

const r0 = record({ state: 'running', step: 'precheck', approval: undefined, currentWave: undefined });
const steps = ['precheck', 'install_control_plane', 'verify_control_plane', 'gateways', 'move_namespaces'];

function events(r: UpgradeRecord): UpgradeEvent[] {
  return [
    { type: 'planned', key: `${r.id}:planned`, record: r },
    ...steps.map(
      (step, i): UpgradeEvent => ({
        type: 'step_started',
        key: `${r.id}:s${i}`,
        record: { ...r, step: step as UpgradeRecord['step'] },
        step,
        ...(step === 'move_namespaces' ? { wave: 1 } : {}),
      }),
    ),
    { type: 'wave_diff', key: `${r.id}:diff:w1`, record: r, wave: 1, diff: bigDiff(3) },
    { type: 'warning', key: `${r.id}:warn`, record: r, message: 'last one' },
  ];
}

const threadTexts = (r: UpgradeRecord, parent: string) =>
  emu.state.thread(r.channel, parent).map((m) => m.text);

describe('Slack notifier', () => {
  it('keeps every message and their order when Slack answers 429 to every other post', async () => {
    emu.state.rateLimit = { methods: ['chat.postMessage'], every: 2, retryAfter: 1 };
    // fired without waiting, as the engine's progress callbacks do
    const all = events(r0).map((e) => notifier.notify(e));
    await Promise.all(all);
    await notifier.idle();
    const limited = emu.state.calls.filter((c) => c.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(3);
    const parent = (await store.getTs(r0.id, 'parent'))!;
    const texts = threadTexts(r0, parent);
    // one checklist per phase, updated in place: control plane, wave 1; then the diff and the warning
    expect(texts).toHaveLength(4);
    expect(texts[0]).toMatch(
      /^Control plane 1-24-2 \(running\): done: Pre-check.*done: Install.*done: Check.*running: Move the gateways/,
    );
    expect(texts[1]).toMatch(/^Wave 1 of 2 \(running\): running: Point the namespaces/);
    expect(texts[2]).toContain('Proxy-status diff after wave 1');
    expect(texts[3]).toContain('last one');
    const control = emu.state.thread(r0.channel, parent)[0]!;
    expect(control.versions).toHaveLength(4); // posted once, then one update per step, in order
    expect(control.versions.map((v) => /running: ([A-Z][a-z]+)/.exec(v.text)?.[1])).toEqual([
      'Pre',
      'Install',
      'Check',
      'Move',
    ]);
    expect(emu.state.channelMessages('C0OPS')).toHaveLength(1);
  }, 30_000);

  it('skips an event whose key it already posted (a step re-run after a crash)', async () => {
    for (const e of events(r0)) await notifier.notify(e);
    for (const e of events(r0)) await notifier.notify(e);
    const parent = (await store.getTs(r0.id, 'parent'))!;
    expect(threadTexts(r0, parent)).toHaveLength(4);
    const control = emu.state.thread(r0.channel, parent)[0]!;
    expect(control.versions).toHaveLength(4); // the replayed steps did not update it again
    expect(emu.state.channelMessages('C0OPS')).toHaveLength(1);
  });

  it('updates the parent in place with progress, only the newest of a burst', async () => {
    await notifier.notify({ type: 'planned', key: 'k', record: r0 });
    const r = record({ state: 'running', step: 'wait_rollouts', currentWave: 2, approval: undefined });
    r.waves[1] = { ...r.waves[1]!, status: 'running', progress: { total: 10, restarted: 10, ready: 0 } };
    const burst = [1, 2, 3, 4, 7].map((ready) =>
      notifier.notify({
        type: 'wave_progress',
        key: `${r.id}:progress:w2`,
        record: r,
        wave: 2,
        progress: { total: 10, ready },
      }),
    );
    await Promise.all(burst);
    const parent = emu.state.find('C0OPS', (await store.getTs(r.id, 'parent'))!)!;
    expect(JSON.stringify(parent.blocks)).toContain('ready *7/10*');
    expect(parent.versions.length).toBeLessThan(6);
    expect(JSON.stringify(parent.blocks)).toContain('restarted *10/10*');
  });

  it('replaces the approval message with the decision', async () => {
    const r = record();
    await notifier.notify({ type: 'planned', key: 'p', record: r });
    await notifier.notify({ type: 'approval_requested', key: 'a', record: r });
    const ts = (await store.getTs(r.id, 'approval:wave:2'))!;
    expect(JSON.stringify(emu.state.find('C0OPS', ts)!.blocks)).toContain('Approve wave 2');
    const decided = record({
      state: 'running',
      approval: undefined,
      decisions: [
        {
          step: 'await_wave_approval',
          wave: 2,
          by: 'U0BOB',
          at: '2026-11-22T02:05:00.000Z',
          outcome: 'approved',
        },
      ],
    });
    await notifier.notify({ type: 'approval_decided', key: 'd', record: decided });
    const m = emu.state.find('C0OPS', ts)!;
    expect(m.text).toContain(
      'Wave 2 of up-abcd :white_check_mark: approved by <@U0BOB> 2026-11-22T02:05:00.000Z',
    );
    expect(JSON.stringify(m.blocks)).not.toContain('"type":"button"');
  });
});

describe('Slack notifier: a failed step', () => {
  it('marks the step failed in its phase checklist and posts the failure with what to do next', async () => {
    const running = record({
      state: 'running',
      step: 'install_control_plane',
      approval: undefined,
      currentWave: undefined,
    });
    await notifier.notify({
      type: 'step_started',
      key: 's1',
      record: running,
      step: 'install_control_plane',
    });
    const stopped = record({
      state: 'stopped',
      step: 'install_control_plane',
      approval: undefined,
      currentWave: undefined,
      stopped: {
        step: 'install_control_plane',
        code: 'istioctl_failed',
        cause: 'istioctl install exited 1',
        at: '2026-11-22T02:01:00.000Z',
      },
    });
    await notifier.notify({ type: 'stopped', key: 'x1', record: stopped });
    const thread = threadTexts(stopped, (await store.getTs(stopped.id, 'parent'))!);
    expect(thread).toHaveLength(2);
    expect(thread[0]).toMatch(
      /^Control plane 1-24-2 \(failed\): done: Pre-check.*; failed: Install istiod 1-24-2 beside 1-23-1 — failed, see below; pending: Check/,
    );
    expect(thread[1]).toContain('Stopped at Install control plane');
    expect(thread[1]).toContain('/istio retry up-abcd');
  });
});

describe('Slack notifier, when Slack does not answer', () => {
  it('an event’s calls are cancelled at its deadline; the thread goes on with the next event', async () => {
    const client = new webApi.WebClient(emu.state.botToken, {
      ...NOTIFIER_CLIENT,
      slackApiUrl: emu.apiUrl,
      logger: boltLogger(silentLogger()),
    });
    const n = createSlackNotifier({ client, store, logger: silentLogger(), eventTimeoutMs: 300 });
    emu.state.stall = { methods: ['chat.postMessage'] };
    const t0 = Date.now();
    const first = n.notify({ type: 'planned', key: `${r0.id}:planned`, record: r0 });
    await expect(first).rejects.toThrow(/posting planned to Slack did not answer within 0.3 s/);
    expect(Date.now() - t0).toBeLessThan(2_000);
    emu.state.stall = null;
    await n.notify({ type: 'warning', key: `${r0.id}:warn`, record: r0, message: 'still here' });
    await n.idle();
    // the hung post was closed by the bot, and its 5 retries never reached Slack
    expect(emu.state.stalled).toEqual([{ method: 'chat.postMessage', closedByClient: true }]);
    await new Promise((r) => setTimeout(r, 1_500)); // when the first retry would have been sent
    const parents = emu.state.messages.filter((m) => !m.thread_ts);
    expect(parents).toHaveLength(1); // the plan once: by the next event, not by a leaked retry
    const parent = parents[0]!;
    expect(threadTexts(r0, parent.ts).at(-1)).toContain('still here');
  }, 15_000);

  it('the stop signal cancels what is in flight', async () => {
    const client = new webApi.WebClient(emu.state.botToken, {
      ...NOTIFIER_CLIENT,
      slackApiUrl: emu.apiUrl,
      logger: boltLogger(silentLogger()),
    });
    const stop = new AbortController();
    const n = createSlackNotifier({ client, store, logger: silentLogger(), signal: stop.signal });
    emu.state.stall = { methods: ['chat.postMessage'] };
    const first = n.notify({ type: 'planned', key: `${r0.id}:planned`, record: r0 });
    setTimeout(() => stop.abort(new Error('the bot is stopping')), 100);
    await expect(first).rejects.toThrow('the bot is stopping');
    await n.idle();
    for (let i = 0; i < 50 && !emu.state.stalled.every((c) => c.closedByClient); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(emu.state.stalled).toEqual([{ method: 'chat.postMessage', closedByClient: true }]);
  });
});
