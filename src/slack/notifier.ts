/**
 * The Slack side of the engine's Notifier port. One thread per upgrade: a parent message (the plan,
 * updated in place with state and progress), one checklist message per phase (control plane, each
 * wave, finish, rollback) updated in place as its steps run, and new messages only for what a person
 * must see: approvals (replaced by the decision), diffs, warnings, failures, decisions, the end.
 *
 * Order: events of one upgrade are handled one after the other (a promise chain per upgrade id), so the
 * thread reads in the order the engine emitted, even when Slack answers 429 and the WebClient waits
 * and retries. Deduplication: an event whose `key` was already posted is skipped (a step re-run after a
 * crash). Progress events (one key per wave: they update the parent in place) are not deduplicated but
 * coalesced: only the newest one queued for an upgrade updates the parent.
 * See docs/adr/0006-slack-notifier-ordering.md.
 */
import type { webApi } from '@slack/bolt';
import type { Calendar } from '../domain/calendar.js';
import type { ProxyDiff } from '../domain/proxystatus/model.js';
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import type { Notifier, UpgradeEvent } from '../engine/ports.js';
import type { Logger } from '../log.js';
import {
  analysisActionsKey,
  analysisActionsMessage,
  analysisMessage,
  chartMissing,
} from './blocks/analysis.js';
import { approvalKey, approvalMessage, decidedMessage, namespacesFit } from './blocks/approval.js';
import { diffFits, diffMessage } from './blocks/diff.js';
import { diffFile, namespacesFile, planFile, type ThreadFile } from './blocks/files.js';
import { autoRollbackMessage } from './blocks/incident.js';
import { nodeVersionsMessage } from './blocks/nodes.js';
import { stepNote } from './blocks/notes.js';
import { noteKey, type Phase, type PhaseView, phaseKey, phaseMessage, phaseOf } from './blocks/phase.js';
import { planMessage, wavesFit } from './blocks/plan.js';
import { autoStartMessage } from './blocks/progressive.js';
import { context, type SlackMessage } from './blocks/text.js';
import { stateChangedMessage, stoppedMessage, warningMessage } from './blocks/thread.js';
import { windowStart } from './blocks/window.js';
import { chartFile } from './chart/index.js';
import { fileKey, shareOnce } from './files.js';
import type { NotifierStore } from './store.js';

export interface SlackNotifierOptions {
  client: webApi.WebClient;
  store: NotifierStore;
  logger: Logger;
  /** Shown on approval messages (policy.fourEyes). */
  fourEyes?: boolean;
  /** Where an automatic rollback (the policy's `onFailure: rollback`) is also posted (policy.incidentChannels). */
  incidentChannels?: string[];
  /** Writes a message ts into `record.messages` (the engine's `setMessage`), so every process sees it. */
  setMessage?: (id: string, key: string, ts: string) => Promise<unknown>;
  /** A cluster's change windows and freezes as the policy says now: the plan says when each wave can
   * start (absent: not said). */
  calendarOf?: (cluster: string) => Calendar | undefined;
  now?: () => number;
}

export interface SlackNotifier extends Notifier {
  /** Resolves when every event handed over so far has been handled (tests, graceful shutdown). */
  idle(): Promise<void>;
}

/** The thread of an upgrade (its parent message ts), if it was posted. */
export async function threadOf(r: UpgradeRecord, store: NotifierStore): Promise<string | undefined> {
  return r.threadTs ?? tsOf(r, 'parent', store);
}

/** A message ts the notifier stored: in the record when the engine keeps it, else in the store. */
export async function tsOf(r: UpgradeRecord, key: string, store: NotifierStore): Promise<string | undefined> {
  return r.messages?.[key] ?? (await store.getTs(r.id, key));
}

export function createSlackNotifier(opts: SlackNotifierOptions): SlackNotifier {
  const { client, store, logger } = opts;
  const chains = new Map<string, Promise<void>>();
  const newestProgress = new Map<string, number>();
  const timing = (r: UpgradeRecord) =>
    opts.calendarOf ? { calendar: opts.calendarOf(r.cluster), now: (opts.now ?? Date.now)() } : undefined;
  let progressCounter = 0;

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

  function withProgress(r: UpgradeRecord, wave: number, p: { total: number; ready: number }): UpgradeRecord {
    return {
      ...r,
      waves: r.waves.map((w) =>
        w.index === wave
          ? {
              ...w,
              progress: { total: p.total, ready: p.ready, restarted: w.progress?.restarted ?? p.total },
            }
          : w,
      ),
    };
  }

  async function handle(e: UpgradeEvent, progressSeq: number): Promise<void> {
    const r = e.record;
    if (e.type === 'wave_progress') {
      // One key per wave (the message updated in place), so never deduplicated; only the newest runs.
      if (newestProgress.get(r.id) !== progressSeq) return;
      const rec = withProgress(r, e.wave, e.progress);
      await updateParent(rec);
      const back = r.state === 'rolling_back';
      const waiting = r.waves[e.wave - 1]?.kind === 'nodes' ? 'verify_nodes' : 'wait_rollouts';
      await renderPhase(
        rec,
        back ? { kind: 'rollback' } : { kind: 'wave', wave: e.wave },
        { current: { step: back ? 'compensate' : waiting, status: 'running' }, progress: e.progress },
        false,
      );
      return;
    }
    if (await store.seen(r.id, e.key)) return;
    switch (e.type) {
      case 'planned':
        if ((await ensureParent(r)).created === false) await updateParent(r);
        break;
      case 'step_started':
      case 'step_finished': {
        const wave = e.wave ?? r.currentWave;
        const phase = phaseOf(e.step, wave);
        const done = e.type === 'step_finished';
        if (phase && done)
          await store.setNote(r.id, noteKey(e.step, wave, r), stepNote(r, e.step, wave, e.detail));
        if (phase)
          await renderPhase(r, phase, { current: { step: e.step, status: done ? 'done' : 'running' } }, true);
        await updateParent(r);
        break;
      }
      case 'approval_requested': {
        const wave = r.approval?.wave;
        // An approver sees all they approve: a wave too long to list goes into the thread as a file first.
        const file =
          wave && !namespacesFit(r, wave)
            ? await share(r, (await ensureParent(r)).ts, fileKey.namespaces(wave), namespacesFile(r, wave))
            : undefined;
        // outside the change windows: a **Start at …** button for the next opening
        const t = timing(r);
        const start = t ? windowStart(t.calendar, t.now) : undefined;
        const ts = await reply(r, approvalMessage(r, opts.fourEyes ?? true, file, start));
        await saveTs(r, approvalKey(r, r.approval?.wave), ts);
        await updateParent(r);
        break;
      }
      case 'approval_decided':
        await replaceApproval(r);
        await updateParent(r);
        break;
      case 'wave_diff': {
        const diff = e.diff as ProxyDiff;
        await store.saveDiff(r.id, e.wave, diff);
        // Too long for one message: the whole diff goes into the thread first, and the diff names it.
        const whole = diffFits(r, e.wave, diff) ? undefined : diffFile(r, e.wave, diff);
        const file = whole && (await share(r, (await ensureParent(r)).ts, fileKey.diff(e.wave), whole));
        await reply(r, diffMessage(r, e.wave, diff, file));
        await updateParent(r);
        break;
      }
      case 'node_versions':
        // an ambient node wave: the per-node table where a sidecar wave gets its diff (ADR 20)
        await reply(r, nodeVersionsMessage(r, e.wave, e.rows));
        await updateParent(r);
        break;
      case 'wave_analysis': {
        // The table, then its chart (ADR 16); a chart that cannot be read, drawn or uploaded is only said.
        const chart = e.chart && (await chartFile(e.chart));
        if (chart && 'error' in chart)
          logger.warn({ upgradeId: r.id, wave: e.wave, err: chart.error }, 'no chart for the analysis');
        await reply(
          r,
          analysisMessage(r, e.wave, e.result, chart && 'error' in chart ? chart.error : undefined),
        );
        if (chart && 'file' in chart) {
          const thread = (await ensureParent(r)).ts;
          try {
            await shareOnce(client, store, r, thread, fileKey.chart(e.key), chart.file);
          } catch (err) {
            logger.warn({ err, upgradeId: r.id, wave: e.wave }, 'could not upload the chart to the thread');
            const why = `Slack refused the upload (${err instanceof Error ? err.message : String(err)})`;
            await reply(r, { text: chartMissing(e.wave, why), blocks: [context(chartMissing(e.wave, why))] });
          }
        }
        // Not passed and not rolled back by the policy: the upgrade pauses; Roll back is one click.
        if (
          e.result.verdict !== 'passed' &&
          !(e.result.verdict === 'failed' && r.analysis?.onFailure === 'rollback')
        )
          // kept, so a click on its Roll back is known to be this message's (actions/click.ts)
          await saveTs(
            r,
            analysisActionsKey(e.wave),
            await reply(r, analysisActionsMessage(r, e.wave, e.result)),
          );
        break;
      }
      case 'warning':
        await reply(r, warningMessage(r, e.message));
        break;
      case 'auto_start': {
        const msg = autoStartMessage(r);
        if (msg) await reply(r, msg);
        await updateParent(r);
        break;
      }
      case 'stopped': {
        const step = r.rollback ? 'compensate' : r.stopped?.step;
        const phase = step ? phaseOf(step, r.currentWave) : undefined;
        if (phase && step) await renderPhase(r, phase, { current: { step, status: 'failed' } }, false);
        await reply(r, stoppedMessage(r));
        await updateParent(r);
        break;
      }
      case 'state_changed':
        if (r.decisions.at(-1)?.outcome !== 'approved' && !r.approval) await replaceApproval(r);
        await reply(r, stateChangedMessage(r, e.by, e.reason));
        await updateParent(r);
        // Rolled back by the policy, not by a person: the people on call are told, with the evidence.
        if (e.by === 'engine' && r.rollback?.by === 'engine' && e.key.includes(':state:rollback:')) {
          const thread = await threadOf(r, store);
          for (const ch of (opts.incidentChannels ?? []).filter((c) => c !== r.channel))
            await client.chat.postMessage({ channel: ch, ...autoRollbackMessage(r, thread) });
        }
        break;
    }
    await store.markSeen(r.id, e.key);
  }

  return {
    notify(event) {
      const id = event.record.id;
      const seq = ++progressCounter;
      if (event.type === 'wave_progress') newestProgress.set(id, seq);
      const prev = chains.get(id) ?? Promise.resolve();
      const run = prev.then(() => handle(event, seq));
      const tail = run.catch((err: unknown) => {
        logger.error({ err, upgradeId: id, event: event.type, key: event.key }, 'posting to Slack failed');
      });
      chains.set(id, tail);
      void tail.then(() => {
        if (chains.get(id) === tail) chains.delete(id);
      });
      return run;
    },
    async idle() {
      while (chains.size > 0) await Promise.all([...chains.values()]);
    },
  };
}
