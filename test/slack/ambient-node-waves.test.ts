// An ambient upgrade in Slack (ADR 20): the plan lists the node waves (nodes, why, cordon), the
// ambient namespaces not restarted and the waypoints; a node wave's approval says what approving does;
// `/istio status --wave` shows a node wave; the thread gets the per-node ztunnel / istio-cni table
// after each node wave (through the Slack emulator), and the wave's checklist its own steps.
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import { approvalMessage } from '../../src/slack/blocks/approval.js';
import { nodeVersionsMessage } from '../../src/slack/blocks/nodes.js';
import { phaseMessage } from '../../src/slack/blocks/phase.js';
import { planMessage } from '../../src/slack/blocks/plan.js';
import { statusMessage, waveMessages } from '../../src/slack/blocks/status.js';
import type { SlackMessage } from '../../src/slack/blocks/text.js';
import { boltLogger } from '../../src/slack/bolt-logger.js';
import { createSlackNotifier, type SlackNotifier } from '../../src/slack/notifier.js';
import { createMemoryStore } from '../../src/slack/store.js';
import { silentLogger } from '../support/engine-harness.js';
import { validateBlocks } from '../support/slack-emulator/block-kit-limits.js';
import { SlackEmulator } from '../support/slack-emulator/server.js';
import { record } from '../support/slack-fixtures.js';
import { TEST_RETRY } from '../support/slack-harness.js';

const ROWS = [
  { node: 'kwok-node-0', ztunnel: '1.24.2', cni: '1.24.2' },
  { node: 'kwok-node-1', ztunnel: '1.23.1', cni: '1.23.1' },
];
const ambient = (over: Partial<UpgradeRecord> = {}): UpgradeRecord =>
  record({
    installer: { kind: 'helm', namespace: 'istio-system', istiod: 'istiod' },
    waves: [
      { index: 1, namespaces: ['app-a'], status: 'done' },
      {
        index: 2,
        kind: 'nodes',
        namespaces: [],
        nodes: ['kwok-node-0'],
        cordon: ['kwok-node-0'],
        status: 'awaiting_approval',
        reasons: { 'kwok-node-0': 'first alone: a canary node' },
      },
      {
        index: 3,
        kind: 'nodes',
        namespaces: [],
        nodes: ['kwok-node-1'],
        status: 'pending',
        reasons: { 'kwok-node-1': 'growing batches: the rest, at most 5 nodes a wave' },
      },
    ],
    approval: {
      step: 'await_wave_approval',
      wave: 2,
      nonce: 'n0nce2abcd',
      requestedAt: '2026-11-22T02:00:00.000Z',
      expiresAt: '2026-11-22T03:00:00.000Z',
    },
    ambient: {
      namespace: 'istio-system',
      releases: [
        { agent: 'ztunnel', release: 'ztunnel' },
        { agent: 'cni', release: 'istio-cni' },
      ],
      ambientNamespaces: ['shop'],
      waypoints: ['shop/waypoint'],
      upToDate: [],
      running: ['istio-cni 1.23.1 on 2 nodes', 'ztunnel 1.23.1 on 2 nodes'],
    },
    ...over,
  });
const all = (m: SlackMessage) => JSON.stringify(m.blocks);
const valid = (m: SlackMessage) => expect(validateBlocks(m.blocks)).toEqual([]);

describe('ambient blocks', () => {
  it('the plan: node waves with their nodes and why, the agents held, ambient namespaces not restarted, waypoints', () => {
    const m = planMessage(ambient());
    valid(m);
    const t = all(m);
    expect(t).toContain('*Wave 2* (node wave, 1 node): `kwok-node-0`');
    expect(t).toContain('*Wave 3* (node wave, 1 node): `kwok-node-1`');
    expect(t).toContain('growing batches: the rest, at most 5 nodes a wave');
    expect(t).toContain('held at `OnDelete`');
    expect(t).toMatch(/Ambient namespaces, not restarted \(ztunnel serves their pods\): `shop`/);
    expect(t).toMatch(
      /Waypoints, moved with the tags and checked on `1-24-2` after the tag move: `shop\/waypoint`/,
    );
    expect(t).toContain('`helm rollback`');
  });

  it('a node wave’s approval says it replaces the agents on those nodes (cordoned first), not namespaces', () => {
    const m = approvalMessage(ambient());
    valid(m);
    const t = all(m);
    expect(t).toContain('a node wave, 1 node: `kwok-node-0`');
    expect(t).toContain(
      'Approving cordons `kwok-node-0`, replaces the ztunnel and istio-cni pods on these nodes with 1.24.2',
    );
    expect(t).not.toContain('points these namespaces');
    expect(t).toContain('Replace ztunnel and istio-cni on the nodes of wave 2');
  });

  it('/istio status shows node waves; --wave N of a node wave its nodes and table', () => {
    const r = ambient();
    r.waves[1]!.nodeVersions = ROWS;
    valid(statusMessage(r));
    expect(all(statusMessage(r))).toContain('— 1 of 2 nodes on 1.24.2');
    const [w] = waveMessages(r, r.waves[1]!);
    valid(w!);
    expect(all(w!)).toContain('a node wave: ztunnel and istio-cni on 1 node to 1.24.2');
    expect(all(w!)).toContain('1 of 2 nodes run 1.24.2');
  });

  it('the node wave’s checklist: replace, then verify, with nodes verified while it runs', () => {
    const m = phaseMessage(
      ambient(),
      { kind: 'wave', wave: 2 },
      { notes: {}, current: { step: 'verify_nodes', status: 'running' }, progress: { ready: 0, total: 1 } },
    );
    valid(m);
    expect(all(m)).toContain('node wave, 1 node(s): `kwok-node-0`');
    expect(all(m)).toContain('*0/1* nodes verified');
    expect(all(m)).not.toContain('Restart their workloads');
  });
});

let emu: SlackEmulator;
let notifier: SlackNotifier;
beforeEach(async () => {
  emu = await new SlackEmulator().start();
  emu.state.addUser('U0ALICE').addChannel('C0OPS', 'ops');
  const client = new webApi.WebClient(emu.state.botToken, {
    slackApiUrl: emu.apiUrl,
    retryConfig: TEST_RETRY,
    logger: boltLogger(silentLogger()),
  });
  notifier = createSlackNotifier({ client, store: createMemoryStore(), logger: silentLogger() });
});
afterEach(async () => emu.stop());

describe('the thread of an ambient upgrade', () => {
  it('after a node wave: the per-node table, once (a re-run step does not post it twice)', async () => {
    const r = ambient({ state: 'running', step: 'verify_nodes', currentWave: 2 });
    delete r.approval;
    await notifier.notify({ type: 'planned', key: `${r.id}:planned`, record: r });
    const e = { type: 'node_versions' as const, key: `${r.id}:nodes:w2`, record: r, wave: 2, rows: ROWS };
    await notifier.notify(e);
    await notifier.notify(e);
    await notifier.idle();
    const [parent] = emu.state.channelMessages('C0OPS');
    const texts = emu.state.thread('C0OPS', parent!.ts).map((m) => JSON.stringify(m.blocks));
    const tables = texts.filter((t) => t.includes('ztunnel and istio-cni per node'));
    expect(tables).toHaveLength(1);
    expect(tables[0]).toMatch(/1 of 2 nodes run 1\.24\.2/);
    expect(tables[0]).toMatch(/kwok-node-1 +1\.23\.1 +1\.23\.1/);
    expect(nodeVersionsMessage(r, 2, ROWS).text).toBe('Wave 2 of up-abcd: 1 of 2 nodes on 1.24.2');
  });
});
