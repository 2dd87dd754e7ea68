/**
 * The parent message of an upgrade's thread: the plan (from → to, strategy, waves and their
 * namespaces, requester, cluster), updated in place with the live state and the running wave's
 * progress. Pure; stays within Block Kit limits whatever the number of waves and namespaces.
 */
import type { Calendar } from '../../domain/calendar.js';
import { earliestStarts, shortInstant, zoneOf } from '../../domain/calendar-outlook.js';
import type { UpgradeRecord, Wave } from '../../domain/upgrade/record.js';
import { planFileName } from './files.js';
import { STATE_LABEL, stepLabel, WAVE_ICON } from './labels.js';
import { ambientText, nodeWaveLine } from './nodes.js';
import {
  type Block,
  clip,
  context,
  cutList,
  esc,
  fields,
  header,
  LIMITS,
  mention,
  type SlackMessage,
  section,
  when,
} from './text.js';

const NS_PER_WAVE_CHARS = 400;

/** The cluster's calendar and the time, for when each wave can start (absent: not shown). */
export interface WaveTiming {
  calendar: Calendar | undefined;
  now: number;
}

/** When each wave not started yet can start at the earliest (wave index → words); empty without a
 * calendar (any time). */
export function waveStarts(r: UpgradeRecord, timing?: WaveTiming): Map<number, string> {
  const out = new Map<number, string>();
  const cal = timing?.calendar;
  if (!timing || (!cal?.windows?.length && !cal?.freezes?.length)) return out;
  const waiting = r.waves.filter((w) => w.status === 'pending' || w.status === 'awaiting_approval');
  // a start already scheduled (at a window's opening, or progressive mode's) is the first one's earliest
  const a = r.autoStart;
  const starts = earliestStarts(cal, a ? Math.max(timing.now, Date.parse(a.at)) : timing.now, waiting.length);
  for (const [i, w] of waiting.entries()) {
    const t = starts[i] ?? null;
    out.set(
      w.index,
      t !== null && i === 0 && a && (a.wave ?? 0) === w.index
        ? `:clock3: scheduled to start ${esc(shortInstant(t, zoneOf(cal)))}`
        : t === null
          ? ':clock3: no change window opens within a week'
          : t <= timing.now
            ? ':clock3: can start now'
            : `:clock3: can start from ${esc(shortInstant(t, zoneOf(cal)))}`,
    );
  }
  return out;
}

export function waveLine(r: UpgradeRecord, w: Wave, start?: string): string {
  if (w.kind === 'nodes') return nodeWaveLine(r, w, start);
  const ns = cutList(
    w.namespaces.map((n) => `\`${esc(n)}\``),
    { maxChars: NS_PER_WAVE_CHARS, more: (n) => `+${n} more: \`/istio status ${r.id} --wave ${w.index}\`` },
  ).text.replace(/\n/g, ', ');
  let line = `${WAVE_ICON[w.status]} *Wave ${w.index}* (${w.namespaces.length} ns): ${ns}`;
  if (start) line += ` · ${start}`;
  // why these namespaces are in this wave, when the bot planned the waves (not with --waves)
  const why = [...new Set(Object.values(w.reasons ?? {}))];
  if (why.length > 0 && w.status === 'pending') line += `\n      _${esc(clip(why.join('; '), 200))}_`;
  if (w.progress && (w.status === 'running' || r.currentWave === w.index)) {
    const p = w.progress;
    line += `\n      workloads restarted *${p.restarted}/${p.total}*, ready *${p.ready}/${p.total}*`;
  }
  if (w.approvedBy) line += ` — approved by ${mention(w.approvedBy)}`;
  if (w.diff) line += ` — ${w.diff.moved} moved, ${w.diff.partial} partial, ${w.diff.notSynced} not synced`;
  return line;
}

function title(r: UpgradeRecord): string {
  const verb = r.move === 'downgrade' ? 'downgrade' : 'upgrade';
  return `Istio ${verb} ${r.id}: ${r.from.version} → ${r.to.version}${r.dryRun ? ' (dry run)' : ''}`;
}

export function strategyText(r: UpgradeRecord): string {
  if (r.strategy === 'tags' && r.tags) return `tags (\`${esc(r.tags.stable)}\` / \`${esc(r.tags.canary)}\`)`;
  return r.strategy === 'tags' ? 'tags' : 'labels (`istio.io/rev`)';
}

export function stoppedText(r: UpgradeRecord): string | undefined {
  if (r.state !== 'stopped' || !r.stopped) return undefined;
  const s = r.stopped;
  return clip(
    `:x: *Stopped at ${stepLabel(s.step, r)}* (\`${esc(s.code)}\`, ${when(s.at)})\n>${esc(s.cause).replace(/\n/g, '\n>')}\n` +
      `What now: \`/istio retry ${r.id}\` · \`/istio rollback ${r.id} <reason>\` · \`/istio abort ${r.id}\``,
    LIMITS.sectionText,
  );
}

/** What happens to the gateways the old revision's install owns (the plan step records them). */
export function gatewayText(r: UpgradeRecord): string | undefined {
  const inPlace = r.gateways?.inPlace ?? [];
  if (inPlace.length === 0) return undefined;
  const list = cutList(
    inPlace.map((g) => `\`${esc(g)}\``),
    { maxChars: 600, more: (n) => `+${n} more` },
  ).text.replace(/\n/g, ', ');
  return clip(
    `*Gateways* ${list}: installed with the old revision, so the canary install upgrades them in place to \`${esc(r.to.revision)}\`. A rollback reinstalls them at \`${esc(r.from.revision)}\` before the canary is removed.`,
    LIMITS.sectionText,
  );
}

/** A Helm-managed control plane: the plan says which releases the upgrade installs, upgrades and removes. */
export function installerText(r: UpgradeRecord): string | undefined {
  const h = r.installer;
  if (h?.kind !== 'helm') return undefined;
  const ns = `\`${esc(h.namespace)}\``;
  return clip(
    `*Control plane: Helm* — the old istiod is the release \`${esc(h.istiod)}\` in ${ns}. The upgrade runs helm: \`base\` upgraded to ${esc(r.to.version)}, the canary installed as the release \`istiod-${esc(r.to.revision)}\` with \`${esc(h.istiod)}\`'s values, \`gateway\` chart releases on \`${esc(r.from.revision)}\` upgraded in place; the finish sets \`base\`'s default revision and runs \`helm uninstall ${esc(h.istiod)}\`. A rollback uninstalls the canary release and rolls \`base\` and the gateways back.`,
    LIMITS.sectionText,
  );
}

/** One line per Gateway API gateway: who serves it now, what it follows, when it moves. */
export const gatewayApiLines = (r: UpgradeRecord): string[] =>
  (r.gatewayApi?.gateways ?? []).map(
    (x) =>
      `• \`${esc(x.gateway)}\` on ${x.servedBy ? `\`${esc(x.servedBy)}\`` : '_no revision_'}, follows ${x.follows}: ${x.moves}`,
  );

/** The plan's Gateway API section: the gateways (cut, `/istio status` lists them all), the #59959 warning. */
export function gatewayApiText(r: UpgradeRecord): string | undefined {
  const g = r.gatewayApi;
  if (!g || g.gateways.length === 0) return undefined;
  const lines = cutList(gatewayApiLines(r), {
    maxChars: 2200,
    more: (n) => `+${n} more: \`/istio status ${r.id}\` lists them all`,
  }).text;
  const warn = g.warnings.map((w) => `:warning: ${esc(w)}`).join('\n');
  return clip(`${GATEWAY_API_TITLE}\n${lines}${warn ? `\n${warn}` : ''}`, LIMITS.sectionText);
}

export const GATEWAY_API_TITLE = '*Gateway API gateways*';

/** true when the parent message shows every wave. */
export const wavesFit = (r: UpgradeRecord, timing?: WaveTiming): boolean => planParts(r, timing).left === 0;

/** The parent message: plan plus live state. When not every wave fits, the plan is in the thread as a file.
 * With `timing`, each wave not started yet says when it can start (the cluster's change windows). */
export const planMessage = (r: UpgradeRecord, timing?: WaveTiming): SlackMessage =>
  planParts(r, timing).message;

function planParts(r: UpgradeRecord, timing?: WaveTiming): { message: SlackMessage; left: number } {
  const starts = waveStarts(r, timing);
  const waves = cutList(
    r.waves.map((w) => waveLine(r, w, starts.get(w.index))),
    {
      maxChars: LIMITS.sectionText - 20,
      more: (n) =>
        `…and ${n} more waves: \`/istio status ${r.id}\` lists them all, and the file \`${planFileName(r)}\` in the thread`,
    },
  );
  const blocks: Block[] = [
    header(title(r)),
    fields([
      ['Cluster', `\`${esc(r.cluster)}\``],
      ['Revisions', `\`${esc(r.from.revision)}\` → \`${esc(r.to.revision)}\``],
      ['Strategy', strategyText(r)],
      ['Requested by', mention(r.requester)],
      ['State', STATE_LABEL[r.state]],
      ['Step', stepLabel(r.step, r)],
    ]),
    section(`*Waves*\n${waves.text || '_none_'}`),
  ];
  const installer = installerText(r);
  if (installer) blocks.push(section(installer));
  const ambient = ambientText(r);
  if (ambient) blocks.push(section(ambient));
  const gw = gatewayText(r);
  if (gw) blocks.push(section(gw));
  const gwApi = gatewayApiText(r);
  if (gwApi) blocks.push(section(gwApi));
  const stopped = stoppedText(r);
  if (stopped) blocks.push(section(stopped));
  if (r.rollback) {
    blocks.push(
      section(
        `:rewind: Rollback requested by ${mention(r.rollback.by)} ${when(r.rollback.at)}: ${esc(clip(r.rollback.reason, 500))}`,
      ),
    );
  }
  blocks.push(
    context(
      `\`/istio status ${r.id}\` · \`/istio pause ${r.id}\` · \`/istio rollback ${r.id} <reason>\` · updated ${when(r.updatedAt)}`,
    ),
  );
  const text = `${title(r)} on ${r.cluster}: ${STATE_LABEL[r.state].replace(/^:[a-z_]+: /, '')}`;
  return { message: { text: clip(text, LIMITS.messageText), blocks }, left: waves.left };
}
