// Pointers that lead somewhere: an approver sees all of a wave (`/istio status ID --wave N`, and a file
// in the thread when the approval cannot list it), and every "more" names the command or the file that
// holds the rest, which is really there.
import { webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { statusMessage } from '../../src/slack/blocks/status.js';
import { boltLogger } from '../../src/slack/bolt-logger.js';
import { createSlackNotifier } from '../../src/slack/notifier.js';
import { createMemoryStore } from '../../src/slack/store.js';
import { meshState, silentLogger, waitUntil } from '../support/engine-harness.js';
import { validateBlocks } from '../support/slack-emulator/block-kit-limits.js';
import { SlackEmulator } from '../support/slack-emulator/server.js';
import { type EmuMessage, visibleText } from '../support/slack-emulator/state.js';
import { bigDiff, record } from '../support/slack-fixtures.js';
import { CH, type SlackHarness, startSlackHarness, TEST_RETRY, USERS } from '../support/slack-harness.js';

let h: SlackHarness | undefined;
let emu: SlackEmulator | undefined;
afterEach(async () => {
  await h?.close();
  await emu?.stop();
  h = undefined;
  emu = undefined;
});

const BIG = Array.from({ length: 120 }, (_, i) => `team-${String(i).padStart(3, '0')}-${'x'.repeat(50)}`);

function bigMesh() {
  const m = meshState(1);
  m.namespaces.push(...BIG.map((name) => ({ name, injection: null, rev: '1-23-1' })));
  return m;
}

/** Runs a command and waits until its answers include `last`; returns everything answered, as shown. */
async function ask(user: string, text: string, last: RegExp): Promise<string> {
  const n = h!.emu.state.ephemeralsFor(user).length;
  await h!.emu.command({ user, channel: CH.ops, text });
  return waitUntil(async () => {
    const shown = h!.emu.state.ephemeralsFor(user).slice(n).map(visibleText).join('\n');
    return last.test(shown) ? shown : null;
  });
}

const fileIn = (thread: EmuMessage[], name: string) =>
  thread.flatMap((m) => m.files ?? []).find((f) => f.name === name);

describe('pointers that lead somewhere', () => {
  it('a wave too long for its approval is in the thread as a file, and status --wave lists all of it', async () => {
    h = await startSlackHarness('http', { mesh: bigMesh() });
    await h.emu.command({
      user: USERS.alice,
      channel: CH.ops,
      text: `upgrade 1.24.2 --waves "${BIG.join(',')};app-a"`,
    });
    const planned = await waitUntil(async () =>
      h!.emu.state.ephemeralsFor(USERS.alice).find((e) => e.text.includes('Planned')),
    );
    const id = /up-[a-z0-9]{4,8}/.exec(planned.text)![0];
    const approval = await waitUntil(async () => {
      const r = await h!.engine.service.get(id);
      return r?.messages['approval:wave:1'] ? h!.emu.state.find(CH.ops, r.messages['approval:wave:1']) : null;
    });
    const shown = visibleText(approval);
    const name = `${id}-wave-1-namespaces.txt`;
    expect(shown).toMatch(
      new RegExp(
        `\\+\\d+ more: all 120 in the file \`${name}\` above and with \`/istio status ${id} --wave 1\``,
      ),
    );
    expect(BIG.filter((n) => shown.includes(n)).length).toBeLessThan(120);
    // the file is in the thread, before the approval, with every namespace
    const thread = h.emu.state.thread(CH.ops, approval.thread_ts!);
    const file = fileIn(thread, name)!;
    expect(file.content!.trim().split('\n').slice(1)).toEqual(BIG);
    expect(thread.findIndex((m) => m.files?.includes(file))).toBeLessThan(thread.indexOf(approval));

    // status --wave 1: every namespace, privately
    const wave = await ask(USERS.bob, `status ${id} --wave 1`, /team-119-/);
    expect(wave).toContain(`Wave 1 of 2 of ${id}`);
    expect(wave).toContain('*Namespaces* (120)');
    for (const n of BIG) expect(wave).toContain(`\`${n}\``);
    expect(await ask(USERS.bob, `status ${id} --wave 3`, /no wave 3/)).toContain(
      `${id} has 2 wave(s); there is no wave 3.`,
    );

    // --details too long for the answers: the whole diff goes into the thread as a file, named
    await h.store.saveDiff(id, 1, bigDiff(3000, 60));
    const details = await ask(USERS.bob, `status ${id} --details`, /too long to show here/);
    const diffName = `${id}-wave-1-proxy-status-diff.txt`;
    expect(details).toContain(`wave 1: the file \`${diffName}\` in the thread of ${id}`);
    const diff = fileIn(h.emu.state.thread(CH.ops, approval.thread_ts!), diffName)!;
    for (const i of [0, 1500, 2999]) expect(diff.content).toContain(`/w${i}-`);
    expect(diff.content!.split('\n').filter((l) => l.startsWith('  ')).length).toBe(3000 * 5 + 2);
    expect(h.emu.state.calls.filter((c) => !c.ok)).toEqual([]);
  }, 60_000);

  it('a diff that does not fit is posted cut, naming the file just above it with every line', async () => {
    emu = await new SlackEmulator().start();
    emu.state.addUser('U0ALICE').addChannel('C0OPS', 'ops');
    const client = new webApi.WebClient(emu.state.botToken, {
      slackApiUrl: emu.apiUrl,
      retryConfig: TEST_RETRY,
      logger: boltLogger(silentLogger()),
    });
    const store = createMemoryStore();
    const notifier = createSlackNotifier({ client, store, logger: silentLogger() });
    const r = record({
      waves: Array.from({ length: 61 }, (_, i) => ({
        index: i + 1,
        namespaces: Array.from({ length: 5 }, (_, j) => `ns-${i}-${j}-${'y'.repeat(30)}`),
        status: 'pending' as const,
      })),
    });
    await notifier.notify({ type: 'planned', key: 'p', record: r });
    await notifier.notify({ type: 'wave_diff', key: 'd', record: r, wave: 1, diff: bigDiff(40) });
    const parent = emu.state.find('C0OPS', (await store.getTs(r.id, 'parent'))!)!;
    expect(visibleText(parent)).toMatch(
      /…and \d+ more waves: `\/istio status up-abcd` lists them all, and the file `up-abcd-plan.csv` in the thread/,
    );
    const thread = emu.state.thread('C0OPS', parent.ts);
    const plan = fileIn(thread, 'up-abcd-plan.csv')!;
    expect(plan.content!.trim().split('\n')).toHaveLength(1 + 61 * 5);
    const diffMsg = thread.find((m) => m.text.startsWith('Proxy-status diff after wave 1'))!;
    expect(visibleText(diffMsg)).toContain(
      '…and 25 more: the file `up-abcd-wave-1-proxy-status-diff.txt` above has them all (and `/istio status up-abcd --details`)',
    );
    const diff = fileIn(thread, 'up-abcd-wave-1-proxy-status-diff.txt')!;
    expect(thread.findIndex((m) => m.files?.includes(diff))).toBe(thread.indexOf(diffMsg) - 1);
    expect(diff.content).toContain('moved (40)');
    expect(diff.content).toContain('w39-');
    // status lists every one of the 61 waves, within Block Kit's limits
    const status = statusMessage(r);
    expect(validateBlocks(status.blocks)).toEqual([]);
    for (let i = 1; i <= 61; i++) expect(visibleText(status)).toContain(`*Wave ${i}* (5 ns)`);
  });
});

describe('without the files:write scope', () => {
  it('the thread goes on: the cut diff points at /istio status alone, and nothing else is lost', async () => {
    emu = await new SlackEmulator().start();
    emu.state.addUser('U0ALICE').addChannel('C0OPS', 'ops');
    emu.state.botScopes.delete('files:write');
    const client = new webApi.WebClient(emu.state.botToken, {
      slackApiUrl: emu.apiUrl,
      retryConfig: TEST_RETRY,
      logger: boltLogger(silentLogger()),
    });
    const store = createMemoryStore();
    const notifier = createSlackNotifier({ client, store, logger: silentLogger() });
    const r = record();
    await notifier.notify({ type: 'wave_diff', key: 'd', record: r, wave: 1, diff: bigDiff(40) });
    await notifier.notify({ type: 'warning', key: 'w', record: r, message: 'after the diff' });
    const thread = emu.state.thread('C0OPS', (await store.getTs(r.id, 'parent'))!);
    expect(thread.map((m) => m.text)).toEqual([
      expect.stringContaining('Proxy-status diff after wave 1'),
      expect.stringContaining('after the diff'),
    ]);
    expect(visibleText(thread[0]!)).toContain('…and 25 more: `/istio status up-abcd --details`');
    expect(emu.state.calls.find((c) => c.method === 'files.getUploadURLExternal')?.error).toBe(
      'missing_scope',
    );
  });
});
