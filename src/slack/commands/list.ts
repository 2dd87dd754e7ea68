/**
 * `/istio list [--refusals]`: recent upgrades, or the latest refused requests, of the clusters this
 * channel may view (incident channels: every cluster).
 */
import type { ListCommand } from '../../domain/command/types.js';
import { isIncidentChannel, mayView } from '../../domain/policy.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import type { Refusal } from '../../engine/api.js';
import { listMessage, refusalsMessage } from '../blocks/status.js';
import { drivableFrom } from '../clusters.js';
import { type Asked, refuse } from '../context.js';

const SHOWN = 20;
/** How far back the refusal log is read to find the latest SHOWN this channel may see. */
const SCANNED = 1000;

/**
 * The cluster a refusal is about: the engine's own field when it writes one, else the upgrade's, else
 * what the action or reason names (`unlock prod`, `see proxy status of prod`, `1.24.2 on prod: …`).
 */
async function clusterOf(
  r: Refusal & { cluster?: string },
  upgradeCluster: (id: string) => Promise<string | undefined>,
): Promise<string | undefined> {
  if (r.cluster) return r.cluster;
  if (r.upgradeId) return upgradeCluster(r.upgradeId);
  const m =
    /^unlock ([\w.-]+)$/.exec(r.action) ??
    /^see proxy status of ([\w.-]+)$/.exec(r.action) ??
    /(?:^|: )\S+ on ([\w.-]+): /.exec(r.reason);
  return m?.[1];
}

async function visibleRefusals(ask: Asked): Promise<Refusal[]> {
  const { deps, actor } = ask;
  const all = await deps.service.refusals(SCANNED);
  if (isIncidentChannel(deps.policy, actor.channel)) return all.slice(0, SHOWN);
  const clusters = new Map<string, Promise<string | undefined>>();
  const upgradeCluster = (id: string) => {
    if (!clusters.has(id))
      clusters.set(
        id,
        deps.service.get(id).then((x) => x?.cluster),
      );
    return clusters.get(id)!;
  };
  const out: Refusal[] = [];
  for (const r of all) {
    if (out.length === SHOWN) break;
    const cluster = await clusterOf(r, upgradeCluster);
    // refused here: the person saw it here already; otherwise only clusters this channel may view
    if (r.channel === actor.channel || (cluster && mayView(deps.policy, actor.channel, cluster).allowed))
      out.push(r);
  }
  return out;
}

export async function list(ask: Asked, cmd: ListCommand): Promise<void> {
  const { deps, actor } = ask;
  const v = mayView(deps.policy, actor.channel);
  if (!v.allowed) return refuse(ask, cmd.refusals ? 'list refusals here' : 'list upgrades here', v);
  if (cmd.refusals) {
    const scope = isIncidentChannel(deps.policy, actor.channel)
      ? 'every cluster'
      : drivableFrom(deps.policy, actor.channel)
          .map((c) => `\`${c}\``)
          .join(', ');
    await ask.reply(refusalsMessage(await visibleRefusals(ask), scope));
    return;
  }
  // Pages of what this channel may view, newest first, read from the store a batch at a time.
  const page = cmd.page ?? 1;
  const want = SHOWN * page;
  const visible: UpgradeRecord[] = [];
  for (let offset = 0; visible.length <= want; ) {
    const batch = await deps.service.list({ limit: 100, offset });
    if (batch.length === 0) break;
    offset += batch.length;
    visible.push(...batch.filter((r) => mayView(deps.policy, actor.channel, r.cluster).allowed));
  }
  const shown = visible.slice(want - SHOWN, want);
  const more = visible.length > want ? `Older ones: \`/istio list --page ${page + 1}\`` : undefined;
  await ask.reply(listMessage(shown, page > 1 ? `Recent upgrades, page ${page}` : 'Recent upgrades', more));
}
