/**
 * The thread of one upgrade as the notifier writes it (notifier.ts): its parent message (the plan,
 * created on first use, updated in place), replies, phase checklists updated in place, approvals
 * replaced by their decision, and whole lists shared as files. Every ts is saved where every process
 * reads it (the store, and the record through `setMessage`).
 */
import type { webApi } from '@slack/bolt';
import type { Calendar } from '../domain/calendar.js';
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import type { Logger } from '../log.js';
import { approvalKey, decidedMessage } from './blocks/approval.js';
import { planFile, type ThreadFile } from './blocks/files.js';
import { type Phase, type PhaseView, phaseKey, phaseMessage } from './blocks/phase.js';
import { planMessage, wavesFit } from './blocks/plan.js';
import type { SlackMessage } from './blocks/text.js';
import { fileKey, shareOnce } from './files.js';
import type { NotifierStore } from './store.js';
import { threadOf, tsOf } from './thread-ts.js';

export interface ThreadWriterOptions {
  client: webApi.WebClient;
  store: NotifierStore;
  logger: Logger;
  setMessage?: (id: string, key: string, ts: string) => Promise<unknown>;
  calendarOf?: (cluster: string) => Calendar | undefined;
  now?: () => number;
}

export type ThreadWriter = ReturnType<typeof createThreadWriter>;

export function createThreadWriter(opts: ThreadWriterOptions) {
  const { client, store, logger } = opts;
  const timing = (r: UpgradeRecord) =>
    opts.calendarOf ? { calendar: opts.calendarOf(r.cluster), now: (opts.now ?? Date.now)() } : undefined;

  async function saveTs(r: UpgradeRecord, key: string, ts: string): Promise<void> {
    await store.setTs(r.id, key, ts);
    if (opts.setMessage) await opts.setMessage(r.id, key, ts);
  }

  /** Replaces an approval message whose approval was decided (approved, paused, rolled back, expired). */
  async function replaceApproval(r: UpgradeRecord): Promise<void> {
    const d = r.decisions.at(-1);
    if (!d) return;
    const wave = d.wave ?? (d.step === 'await_wave_approval' ? r.currentWave : undefined);
    const ts = await tsOf(r, approvalKey(r, wave), store);
    if (ts)
      await client.chat.update({
        channel: r.channel,
        ts,
        ...decidedMessage(r, { ...d, ...(wave ? { wave } : {}) }),
      });
  }

  async function ensureParent(r: UpgradeRecord): Promise<{ ts: string; created: boolean }> {
    const known = await threadOf(r, store);
    if (known) return { ts: known, created: false };
    const res = await client.chat.postMessage({ channel: r.channel, ...planMessage(r, timing(r)) });
    const ts = res.ts!;
    await saveTs(r, 'parent', ts);
    // Too many waves for the parent: the whole plan goes into the thread as a file it points at.
    if (!wavesFit(r, timing(r))) await share(r, ts, fileKey.plan, planFile(r));
    return { ts, created: true };
  }

  /**
   * Shares a whole list into the thread; returns its name, or nothing when Slack refused it (no
   * `files:write` scope, an outage): the message then points at the `/istio status` command alone.
   */
  async function share(r: UpgradeRecord, thread: string, key: string, f: ThreadFile) {
    try {
      return await shareOnce(client, store, r, thread, key, f);
    } catch (err) {
      logger.warn({ err, upgradeId: r.id, file: f.name }, 'could not upload a file to the thread');
      return undefined;
    }
  }

  async function updateParent(r: UpgradeRecord): Promise<void> {
    const { ts, created } = await ensureParent(r);
    if (!created) await client.chat.update({ channel: r.channel, ts, ...planMessage(r, timing(r)) });
  }

  async function reply(r: UpgradeRecord, msg: SlackMessage): Promise<string> {
    const { ts } = await ensureParent(r);
    const res = await client.chat.postMessage({ channel: r.channel, thread_ts: ts, ...msg });
    return res.ts!;
  }

  /**
   * Posts the phase's checklist on its first event (when `create`), then updates it in place. What it
   * shows comes from the store (notes of finished steps), so any process can render it.
   */
  async function renderPhase(r: UpgradeRecord, p: Phase, view: Omit<PhaseView, 'notes'>, create: boolean) {
    const msg = phaseMessage(r, p, { ...view, notes: await store.notes(r.id) });
    const ts = await tsOf(r, phaseKey(p), store);
    if (ts) await client.chat.update({ channel: r.channel, ts, ...msg });
    else if (create) await saveTs(r, phaseKey(p), await reply(r, msg));
  }

  return { timing, saveTs, replaceApproval, ensureParent, share, updateParent, reply, renderPhase };
}
