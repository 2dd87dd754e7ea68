/**
 * The approval message of a wave (or of the finish step) with Approve / Roll back / Pause buttons, and
 * the same message after a decision (who decided and when). Buttons carry only ids; the record decides.
 */
import type { Decision, UpgradeRecord } from '../../domain/upgrade/record.js';
import { verdictLine } from './analysis.js';
import { nodeWaveApprovalText } from './nodes.js';
import {
  type Block,
  clip,
  context,
  cutList,
  esc,
  mention,
  type SlackMessage,
  section,
  when,
} from './text.js';
import { startButton, type WindowStart } from './window.js';

export const ACTION = { approve: 'approve', rollback: 'rollback', pause: 'pause' } as const;
export type ActionId = (typeof ACTION)[keyof typeof ACTION];

export interface ButtonRef {
  id: string;
  /** 0 for the finish approval. */
  wave: number;
  nonce: string;
  /** **Start at …** buttons: the change window's opening they show (Unix seconds). */
  startAt?: number;
}

const VALUE_RE = /^(up-[a-z0-9]{4,8})\|(\d{1,4})\|([A-Za-z0-9_-]{1,64})(?:\|(\d{9,11}))?$/;

export const encodeButton = (b: ButtonRef): string =>
  `${b.id}|${b.wave}|${b.nonce}${b.startAt === undefined ? '' : `|${b.startAt}`}`;

/** Parses a button value; anything else (tampered, truncated, oversized) is null. */
export function decodeButton(value: unknown): ButtonRef | null {
  if (typeof value !== 'string' || value.length > 100) return null;
  const m = VALUE_RE.exec(value);
  if (!m) return null;
  return { id: m[1]!, wave: Number(m[2]), nonce: m[3]!, ...(m[4] ? { startAt: Number(m[4]) } : {}) };
}

export function approvalKey(_r: UpgradeRecord, wave: number | undefined): string {
  return wave ? `approval:wave:${wave}` : 'approval:finish';
}

const NS_CHARS = 2000;

/** true when the approval message names every namespace of the wave. */
export function namespacesFit(r: UpgradeRecord, wave: number): boolean {
  const w = r.waves.find((x) => x.index === wave);
  return (
    cutList(
      (w?.namespaces ?? []).map((n) => `\`${esc(n)}\``),
      { maxChars: NS_CHARS, more: () => '' },
    ).left === 0
  );
}

function what(r: UpgradeRecord, wave: number | undefined, file?: string): string {
  if (!wave) {
    return `:raised_hand: *Every wave of ${r.id} runs on \`${esc(r.to.revision)}\`.* Approving moves the revision tags, waits the grace period and uninstalls \`${esc(r.from.revision)}\`.`;
  }
  const w = r.waves.find((x) => x.index === wave);
  if (w?.kind === 'nodes') return nodeWaveApprovalText(r, w);
  const ns = cutList(
    (w?.namespaces ?? []).map((n) => `\`${esc(n)}\``),
    {
      maxChars: NS_CHARS,
      more: (n) =>
        `+${n} more: all ${w?.namespaces.length} ${file ? `in the file \`${file}\` above and ` : ''}with \`/istio status ${r.id} --wave ${wave}\``,
    },
  ).text.replace(/\n/g, ', ');
  return `:raised_hand: *Wave ${wave} of ${r.waves.length} of ${r.id} is ready* on \`${esc(r.cluster)}\`: ${ns}\nApproving points these namespaces at \`${esc(r.to.revision)}\` and restarts their workloads.`;
}

/** `file`: the thread file listing the wave's namespaces, when they do not all fit here. `start`: the
 * cluster is outside its change windows: a **Start at …** button for the next opening (window.ts). */
export function approvalMessage(
  r: UpgradeRecord,
  fourEyes = true,
  file?: string,
  start?: WindowStart,
): SlackMessage {
  const a = r.approval;
  const wave = a?.wave;
  const bref: ButtonRef = { id: r.id, wave: wave ?? 0, nonce: a?.nonce ?? 'none' };
  const ref = encodeButton(bref);
  const label = wave ? `Approve wave ${wave}` : 'Approve finish';
  // The previous wave's traffic analysis, so the approver does not decide blind (issue 13).
  const prev = r.waves[(wave ?? r.waves.length + 1) - 2];
  const blocks: Block[] = [
    section(what(r, wave, file)),
    ...(prev?.analysis ? [section(verdictLine(prev.index, prev.analysis))] : []),
    context(
      `Requested by ${mention(r.requester)}${fourEyes ? ' · someone else must approve (four eyes)' : ''}${a ? ` · expires ${when(a.expiresAt)}` : ''}`,
    ),
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ACTION.approve,
          style: 'primary',
          text: { type: 'plain_text', text: label },
          value: ref,
          confirm: {
            title: { type: 'plain_text', text: clip(label, 100) },
            text: {
              type: 'mrkdwn',
              text: clip(
                wave && r.waves[wave - 1]?.kind === 'nodes'
                  ? `Replace ztunnel and istio-cni on the nodes of wave ${wave} of ${r.id} with ${r.to.version} now?`
                  : wave
                    ? `Move wave ${wave} of ${r.id} to \`${r.to.revision}\` now?`
                    : `Finish ${r.id} and uninstall \`${r.from.revision}\`?`,
                300,
              ),
            },
            confirm: { type: 'plain_text', text: 'Approve' },
            deny: { type: 'plain_text', text: 'Not yet' },
          },
        },
        ...(start ? [startButton(r, bref, start)] : []),
        {
          type: 'button',
          action_id: ACTION.rollback,
          style: 'danger',
          text: { type: 'plain_text', text: 'Roll back' },
          value: ref,
          confirm: {
            title: { type: 'plain_text', text: `Roll back ${r.id}?` },
            text: {
              type: 'mrkdwn',
              text: clip(
                `Undo every wave done so far and move the gateways back to \`${r.from.revision}\`.`,
                300,
              ),
            },
            confirm: { type: 'plain_text', text: 'Roll back' },
            deny: { type: 'plain_text', text: 'Cancel' },
            style: 'danger',
          },
        },
        { type: 'button', action_id: ACTION.pause, text: { type: 'plain_text', text: 'Pause' }, value: ref },
      ],
    },
  ];
  return {
    text: `${r.id}: ${wave ? `wave ${wave} waits for approval` : 'finish waits for approval'}`,
    blocks,
  };
}

const OUTCOME: Record<Decision['outcome'], string> = {
  approved: ':white_check_mark: approved',
  rolled_back: ':rewind: rolled back',
  paused: ':double_vertical_bar: paused',
  expired: ':hourglass: expired',
};

/** The decision taken on the approval for `wave` (0/undefined = finish), latest first. */
export function decisionFor(r: UpgradeRecord, wave: number | undefined): Decision | undefined {
  const step = wave ? 'await_wave_approval' : 'await_finish_approval';
  return [...r.decisions].reverse().find((d) => d.step === step && (d.wave ?? 0) === (wave ?? 0));
}

export function decisionText(r: UpgradeRecord, d: Decision): string {
  const subject = d.wave ? `Wave ${d.wave}` : 'Finish';
  const later = d.startAt ? `, to start when the change window opens ${when(d.startAt)}` : '';
  return `${subject} of ${r.id} ${OUTCOME[d.outcome]} by ${mention(d.by)} ${when(d.at)}${later}`;
}

/** The approval message after the decision: no buttons, who decided and when. */
export function decidedMessage(r: UpgradeRecord, d: Decision): SlackMessage {
  const text = decisionText(r, d);
  return { text: text.replace(/<!date\^\d+\^[^|]+\|([^>]+)>/g, '$1'), blocks: [section(text)] };
}
