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
 * coalesced: only the newest one queued for an upgrade updates the parent. Deadline: one event's Slack
 * calls are cancelled after `eventTimeoutMs` (or when `signal` aborts), so one request Slack never
 * answers cannot hold the upgrade's thread for longer.
 * See docs/adr/0006-slack-notifier-ordering.md.
 */
import type { webApi } from '@slack/bolt';
import type { Calendar } from '../domain/calendar.js';
import type { ProxyDiff } from '../domain/proxystatus/model.js';
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import type { Notifier, UpgradeEvent } from '../engine/ports.js';
import type { Logger } from '../log.js';
import { deadline, withSignal } from './abortable.js';
import {
  analysisActionsKey,
  analysisActionsMessage,
  analysisMessage,
  chartMissing,
} from './blocks/analysis.js';
import { approvalKey, approvalMessage, namespacesFit } from './blocks/approval.js';
import { diffFits, diffMessage } from './blocks/diff.js';
import { diffFile, namespacesFile } from './blocks/files.js';
import { autoRollbackMessage } from './blocks/incident.js';
import { nodeVersionsMessage } from './blocks/nodes.js';
import { stepNote } from './blocks/notes.js';
import { noteKey, phaseOf } from './blocks/phase.js';
import { autoStartMessage } from './blocks/progressive.js';
import { context } from './blocks/text.js';
import { stateChangedMessage, stoppedMessage, warningMessage } from './blocks/thread.js';
import { windowStart } from './blocks/window.js';
import { chartFile } from './chart/index.js';
import { fileKey, shareOnce } from './files.js';
import { createThreadWriter } from './notifier-thread.js';
import type { NotifierStore } from './store.js';
import { threadOf, tsOf } from './thread-ts.js';

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
  /** Longest one event's Slack calls may take (default 10 min): then they are cancelled, the event is
   * logged as failed and the upgrade's next event is handled. */
  eventTimeoutMs?: number;
  /** Cancels every Slack call in flight (the process stopping). */
  signal?: AbortSignal;
}

export interface SlackNotifier extends Notifier {
  /** Resolves when every event handed over so far has been handled (tests, graceful shutdown). */
  idle(): Promise<void>;
}

export { threadOf, tsOf };

export function createSlackNotifier(opts: SlackNotifierOptions): SlackNotifier {
  const { client, store, logger } = opts;
  const chains = new Map<string, Promise<void>>();
  const newestProgress = new Map<string, number>();
  let progressCounter = 0;

  const { timing, saveTs, replaceApproval, ensureParent, share, updateParent, reply, renderPhase } =
    createThreadWriter(opts);

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
      // every Slack call of the event runs under its deadline and the stop signal (abortable.ts)
      const signal = () => {
        const late = deadline(opts.eventTimeoutMs ?? 10 * 60_000, `posting ${event.type} to Slack`);
        return opts.signal ? AbortSignal.any([late, opts.signal]) : late;
      };
      const run = prev.then(() => withSignal(signal(), () => handle(event, seq)));
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
