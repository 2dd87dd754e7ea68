/**
 * `/istio status [ID] [--details] [--wave N]`: the active upgrades, one upgrade (every wave), one wave
 * in full, or every line of the diffs. What does not fit in the answers (a response_url takes five
 * messages) is uploaded whole into the upgrade's thread as a file, and the answer names it.
 */
import type { StatusCommand } from '../../domain/command/types.js';
import { mayView } from '../../domain/policy.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import { diffDetailMessages } from '../blocks/diff.js';
import { diffFile, namespacesFile, type ThreadFile } from '../blocks/files.js';
import { infoMessage } from '../blocks/replies.js';
import { listMessage, statusMessage, waveMessages } from '../blocks/status.js';
import { type Asked, refuse } from '../context.js';
import { fileKey, shareOnce } from '../files.js';
import { threadOf } from '../notifier.js';

/** A response_url takes 5 messages: the status itself plus at most 4 parts of details. */
const DETAIL_MESSAGES = 4;
const WAVE_MESSAGES = 5;

/** Puts `f` into the upgrade's thread (once); says where it is, or why it could not. */
async function fileInThread(ask: Asked, r: UpgradeRecord, key: string, f: ThreadFile): Promise<string> {
  const thread = await threadOf(r, ask.deps.store);
  if (!thread) return `${r.id} has no thread to put the whole list in yet.`;
  try {
    await shareOnce(ask.deps.client, ask.deps.store, r, thread, key, f);
    return `the file \`${f.name}\` in the thread of ${r.id} (<#${r.channel}>)`;
  } catch (err) {
    ask.deps.logger.warn({ err, upgradeId: r.id, file: f.name }, 'could not upload a file to the thread');
    return `the file \`${f.name}\`, which I could not upload to the thread (is the \`files:write\` scope granted?)`;
  }
}

async function wave(ask: Asked, r: UpgradeRecord, n: number): Promise<void> {
  const w = r.waves[n - 1];
  if (!w)
    return ask.reply(
      infoMessage(`:grey_question: ${r.id} has ${r.waves.length} wave(s); there is no wave ${n}.`),
    );
  const parts = waveMessages(r, w);
  if (parts.length <= WAVE_MESSAGES) {
    for (const m of parts) await ask.reply(m);
    return;
  }
  const where = await fileInThread(ask, r, fileKey.namespaces(n), namespacesFile(r, n));
  await ask.reply(parts[0]!);
  await ask.reply(
    infoMessage(
      `Wave ${n} has ${w.namespaces.length} namespaces, too many for Slack here: every one is in ${where}.`,
    ),
  );
}

async function details(ask: Asked, r: UpgradeRecord): Promise<void> {
  const diffs = [...(await ask.deps.store.diffs(r.id)).entries()].sort(([a], [b]) => a - b);
  if (diffs.length === 0)
    return ask.reply(infoMessage(`No proxy-status diff for ${r.id} yet: one is posted after each wave.`));
  const parts = diffs.flatMap(([n, diff]) =>
    diffDetailMessages(r, n, diff, { maxMessages: Number.MAX_SAFE_INTEGER }),
  );
  if (parts.length <= DETAIL_MESSAGES) {
    for (const m of parts) await ask.reply(m);
    return;
  }
  // Too long for the answers: every wave's whole diff is in the thread as a file.
  const where: string[] = [];
  for (const [n, diff] of diffs)
    where.push(`wave ${n}: ${await fileInThread(ask, r, fileKey.diff(n), diffFile(r, n, diff))}`);
  for (const m of parts.slice(0, DETAIL_MESSAGES - 1)) await ask.reply(m);
  await ask.reply(
    infoMessage(
      `The diffs of ${r.id} are too long to show here in full. The whole of each:\n${where.join('\n')}`,
    ),
  );
}

export async function status(ask: Asked, cmd: StatusCommand): Promise<void> {
  const { deps, actor } = ask;
  if (!cmd.id) {
    const v = mayView(deps.policy, actor.channel);
    if (!v.allowed) return refuse(ask, 'see upgrades here', v);
    const active = await deps.service.list({ activeOnly: true, limit: 20 });
    const visible = active.filter((r) => mayView(deps.policy, actor.channel, r.cluster).allowed);
    return ask.reply(listMessage(visible, 'Active upgrades'));
  }
  const r = await deps.service.get(cmd.id);
  if (!r)
    return ask.reply(
      infoMessage(
        `:grey_question: There is no upgrade \`${cmd.id}\`. \`/istio list\` shows the recent ones.`,
      ),
    );
  const v = mayView(deps.policy, actor.channel, r.cluster);
  if (!v.allowed) return refuse(ask, `see ${r.id} here`, v, r.id);
  if (cmd.wave !== undefined) return wave(ask, r, cmd.wave);
  await ask.reply(
    statusMessage(r, { calendar: deps.policy.clusters[r.cluster], now: (deps.now ?? Date.now)() }),
  );
  if (cmd.details) await details(ask, r);
}
