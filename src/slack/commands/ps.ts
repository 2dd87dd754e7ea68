/**
 * `/istio ps [NAMESPACE] [--cluster NAME]`: proxies per revision and those not synced. Needs a cluster
 * connection: a bot without one (ROLE=bot) says so instead of guessing.
 */
import type { PsCommand } from '../../domain/command/types.js';
import { mayView } from '../../domain/policy.js';
import { type NodeVersions, renderNodeVersions } from '../../domain/upgrade/ambient/index.js';
import { infoMessage } from '../blocks/replies.js';
import { cutList, esc, LIMITS, section } from '../blocks/text.js';
import { ambiguousText, chooseCluster, drivableNote } from '../clusters.js';
import { type Asked, refuse } from '../context.js';

export async function ps(ask: Asked, cmd: PsCommand): Promise<void> {
  const { deps, actor } = ask;
  const choice = chooseCluster(deps.policy, actor.channel, cmd.cluster, deps.defaultCluster);
  if ('ambiguous' in choice)
    return refuse(ask, 'see proxy status', {
      code: 'which_cluster',
      reason: ambiguousText(choice.ambiguous, '/istio ps'),
    });
  const { cluster } = choice;
  const v = mayView(deps.policy, actor.channel, cluster);
  if (!v.allowed)
    return refuse(ask, `see proxy status of ${cluster}`, {
      ...v,
      reason: `${v.reason} ${drivableNote(deps.policy, actor.channel)}`,
    });
  if (!deps.proxyStatus) {
    return ask.reply(
      infoMessage(
        ':electric_plug: This bot process has no cluster connection (ROLE=bot), so it cannot read proxy status. The diff of each wave is in the upgrade thread; `istio-upgrade-bot ps` prints it where the cluster is reachable.',
      ),
    );
  }
  const snap = await deps.proxyStatus({ cluster, ...(cmd.namespace ? { namespace: cmd.namespace } : {}) });
  const perRev = new Map<string, number>();
  for (const p of snap.proxies) perRev.set(p.revision, (perRev.get(p.revision) ?? 0) + 1);
  const revs = [...perRev.entries()].sort().map(([r, n]) => `\`${esc(r)}\`: ${n} proxies`);
  const stale = snap.proxies
    .filter((p) => p.synced === false)
    .map((p) => `\`${esc(p.namespace)}/${esc(p.pod)}\``);
  const where = `\`${esc(cluster)}\`${cmd.namespace ? ` namespace \`${esc(cmd.namespace)}\`` : ''}`;
  const staleText = cutList(stale, { maxChars: LIMITS.sectionText - 40, more: (n) => `…and ${n} more` }).text;
  await ask.reply({
    text: `Proxy status of ${cluster}: ${snap.proxies.length} proxies`,
    blocks: [
      section(
        `*Proxy status of ${where}*: ${snap.proxies.length} proxies\n${revs.join('\n') || '_no proxies_'}`,
      ),
      section(`*Not synced* (${stale.length})\n${staleText || '_none_'}`),
      ...(snap.nodes ? [nodesSection(snap.nodes)] : []),
    ],
  });
}

/** An ambient mesh's node agents: ztunnel has no sync diff, so its version on each node (ADR 20). */
function nodesSection(rows: NodeVersions[]) {
  const head = `*ztunnel and istio-cni per node* (${rows.length} nodes; ambient: no sync diff for ztunnel)`;
  const table = renderNodeVersions(rows);
  const max = LIMITS.sectionText - head.length - 20;
  const body = table.length <= max ? table : `${table.slice(0, table.lastIndexOf('\n', max))}\n…`;
  return section(`${head}\n\`\`\`${body}\`\`\``);
}
