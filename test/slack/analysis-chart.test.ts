// A wave's analysis in the thread with its chart, against the Slack emulator: the table, then the PNG
// uploaded into the thread with files.uploadV2's three calls, then (when paused) the Roll back button.
// A chart that could not be read, drawn or uploaded leaves the table alone, saying so.
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WaveAnalysisResult } from '../../src/domain/upgrade/analysis.js';
import type { MetricSeries, WaveChart } from '../../src/domain/upgrade/chart.js';
import type { UpgradeEvent } from '../../src/engine/ports.js';
import { boltLogger } from '../../src/slack/bolt-logger.js';
import { createSlackNotifier, type SlackNotifier } from '../../src/slack/notifier.js';
import { createMemoryStore, type NotifierStore } from '../../src/slack/store.js';
import { silentLogger } from '../support/engine-harness.js';
import { SlackEmulator } from '../support/slack-emulator/server.js';
import { visibleText } from '../support/slack-emulator/state.js';
import { record } from '../support/slack-fixtures.js';
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

const T = Date.parse('2026-11-22T02:00:00Z');
const r = record({ state: 'running', step: 'analyze_wave', approval: undefined, currentWave: 2 });

function result(verdict: WaveAnalysisResult['verdict']): WaveAnalysisResult {
  return {
    spec: 'default',
    verdict,
    reason: verdict === 'passed' ? '2 of 2 checks passed' : '1 check(s) failed (limit 0): app-b 70 %',
    checks: 2,
    failedChecks: verdict === 'failed' ? 1 : 0,
    startedAt: new Date(T + 10_000).toISOString(),
    finishedAt: new Date(T + 20_000).toISOString(),
    measurements: [
      {
        target: 'app-b',
        metric: 'request-success-rate',
        unit: '%',
        baseline: 100,
        value: verdict === 'passed' ? 100 : 70,
        limit: '≥ 99',
        verdict: verdict === 'passed' ? 'pass' : 'fail',
      },
    ],
    queries: 6,
  };
}

const line = (target: string, v: number): MetricSeries => ({
  target,
  metric: 'request-success-rate',
  unit: '%',
  points: Array.from({ length: 31 }, (_, i) => [T - 10_000 + i * 1000, v] as [number, number]),
});
const chart: WaveChart = {
  data: {
    upgrade: r.id,
    cluster: 'prod',
    wave: 2,
    waves: 2,
    spec: 'default',
    verdict: 'failed',
    window: { start: T - 10_000, end: T + 20_000, stepMs: 1000 },
    waveStart: T,
    baseline: { start: T - 10_000, end: T },
    analysis: { start: T + 10_000, end: T + 20_000 },
    metrics: [{ name: 'request-success-rate', unit: '%', min: 99 }],
    series: [line('app-b', 70), line('app-c', 100)],
    omitted: [],
  },
};

const event = (verdict: WaveAnalysisResult['verdict'], c?: WaveChart, key = 'k1'): UpgradeEvent => ({
  type: 'wave_analysis',
  key,
  record: r,
  wave: 2,
  result: result(verdict),
  ...(c ? { chart: c } : {}),
});

async function thread() {
  return emu.state.thread('C0OPS', (await store.getTs(r.id, 'parent'))!);
}

describe('analysis chart in the thread', () => {
  it('passed: the table, then the PNG chart in the thread (files.uploadV2: URL, bytes, complete)', async () => {
    await notifier.notify(event('passed', chart));
    const t = await thread();
    expect(t.map((m) => visibleText(m))).toEqual([
      expect.stringContaining('Wave 2 of 2: traffic analysis passed'),
      expect.stringContaining('Wave 2: request-success-rate per namespace'),
    ]);
    expect(visibleText(t[0]!)).not.toContain('could not be drawn');
    const f = t[1]!.files![0]!;
    expect(f.name).toBe(`${r.id}-wave-2-traffic.png`);
    expect([...f.bytes!.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(f.bytes!.readUInt32BE(16)).toBe(1000);
    expect(t[1]!.thread_ts).toBe(await store.getTs(r.id, 'parent'));
    const calls = emu.state.calls.map((c) => c.method).filter((m) => m.startsWith('files.'));
    expect(calls).toEqual(['files.getUploadURLExternal', 'files.completeUploadExternal']);
  });

  it('failed and paused: table, chart, then the Roll back button last; the same event again uploads nothing', async () => {
    await notifier.notify(event('failed', chart));
    await notifier.notify(event('failed', chart));
    const t = await thread();
    expect(t).toHaveLength(3);
    expect(visibleText(t[0]!)).toContain('traffic analysis failed');
    expect(t[1]!.files?.[0]?.name).toBe(`${r.id}-wave-2-traffic.png`);
    expect(JSON.stringify(t[2]!.blocks)).toContain('Roll back');
    expect(emu.state.calls.filter((c) => c.method === 'files.completeUploadExternal')).toHaveLength(1);
  });

  it('series not read (Prometheus down): the table alone, saying the chart could not be drawn and why', async () => {
    await notifier.notify(event('inconclusive', { error: 'http://127.0.0.1:9: ECONNREFUSED' }));
    const t = await thread();
    expect(t).toHaveLength(2); // the table and the Roll back button, no file
    expect(visibleText(t[0]!)).toContain(
      'The chart of wave 2 could not be drawn: http://127.0.0.1:9: ECONNREFUSED. The table is the whole evidence.',
    );
    expect(t.some((m) => m.files?.length)).toBe(false);
    expect(emu.state.calls.some((c) => c.method.startsWith('files.'))).toBe(false);
  });

  it('upload refused (no files:write): the table stays, and the thread says the chart could not be drawn', async () => {
    emu.state.botScopes.delete('files:write');
    await notifier.notify(event('passed', chart));
    const t = await thread();
    expect(t.map((m) => visibleText(m))).toEqual([
      expect.stringContaining('traffic analysis passed'),
      expect.stringMatching(
        /The chart of wave 2 could not be drawn: Slack refused the upload \(.*missing_scope/,
      ),
    ]);
  });

  it('no chart asked for (an analysis that draws none): the table alone, nothing said about a chart', async () => {
    await notifier.notify(event('passed'));
    const t = await thread();
    expect(t).toHaveLength(1);
    expect(visibleText(t[0]!)).not.toContain('chart');
  });
});
