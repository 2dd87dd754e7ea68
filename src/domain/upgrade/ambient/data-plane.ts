/**
 * The ambient data plane as the bot sees it: ztunnel and istio-cni, one pod of each DaemonSet per
 * node, upgraded in place (not by revisions). Pure: versions from image tags, per-node verification,
 * the per-node version table that stands in for proxy-status (ztunnel has no xDS sync diff to show).
 */
import { formatVersion, parseVersion } from '../../version.js';

/** The two node agents of an ambient mesh. */
export type Agent = 'ztunnel' | 'cni';
export const AGENTS: readonly Agent[] = ['ztunnel', 'cni'];
export const AGENT_NAMES: Record<Agent, string> = { ztunnel: 'ztunnel', cni: 'istio-cni' };

/** One DaemonSet pod of a node agent. */
export interface AgentPod {
  agent: Agent;
  node: string;
  pod: string;
  /** The agent container's image, e.g. `docker.io/istio/ztunnel:1.25.3-distroless`. */
  image: string;
  ready: boolean;
  /** Being deleted (a replaced pod on its way out). */
  terminating?: boolean;
}

export interface AgentNode {
  name: string;
  /** Marked `istio-upgrade-bot.io/canary: "true"` (label): upgraded first. */
  canary?: boolean;
  /** Already cordoned before the upgrade (`spec.unschedulable`): the bot never uncordons it. */
  unschedulable?: boolean;
}

/** `hub/ztunnel:1.25.3-distroless` → `1.25.3`; null when the tag is not an Istio version (a digest, latest). */
export function imageVersion(image: string): string | null {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon <= slash) return null;
  const tag = ref.slice(colon + 1);
  // `1.31-dev-distroless`: the version parser takes a flavour after a release, not after `-dev`
  const v = parseVersion(tag.replace(/^(v?\d+\.\d+-dev)-[a-z][a-z0-9]*$/, '$1'));
  return v.ok ? formatVersion(v.value) : null;
}

const live = (pods: AgentPod[]) => pods.filter((p) => !p.terminating);

/** One row per node: the version each agent runs there (`—`: no pod; `?`: a tag that is no version). */
export interface NodeVersions {
  node: string;
  ztunnel: string;
  cni: string;
}

export function nodeVersions(nodes: string[], pods: AgentPod[]): NodeVersions[] {
  const of = (node: string, agent: Agent) => {
    const ps = live(pods).filter((p) => p.node === node && p.agent === agent);
    if (ps.length === 0) return '—';
    return ps
      .map((p) => `${imageVersion(p.image) ?? '?'}${p.ready ? '' : ' (not ready)'}`)
      .sort()
      .join(', ');
  };
  const all = [...new Set([...nodes, ...live(pods).map((p) => p.node)])].sort();
  return all.map((node) => ({ node, ztunnel: of(node, 'ztunnel'), cni: of(node, 'cni') }));
}

/** The per-node table posted where sidecar meshes get the proxy-status diff. */
export function renderNodeVersions(rows: NodeVersions[], target?: string): string {
  const head = ['NODE', 'ZTUNNEL', 'ISTIO-CNI'];
  const body = rows.map((r) => [r.node, r.ztunnel, r.cni]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  const at = target
    ? rows.filter((r) => r.ztunnel === target && (r.cni === target || r.cni === '—')).length
    : null;
  return [
    ...(at === null ? [] : [`${at} of ${rows.length} nodes run ${target}`]),
    line(head),
    ...body.map(line),
  ].join('\n');
}

/**
 * What is wrong on `nodes` for `agents` to count as upgraded to `version`: each node has exactly one
 * live pod of each agent, ready, on `version`. Empty: verified.
 */
export function unverifiedNodes(
  nodes: string[],
  pods: AgentPod[],
  version: string,
  agents: readonly Agent[] = AGENTS,
): string[] {
  const want = parseVersion(version);
  const target = want.ok ? formatVersion(want.value) : version;
  const out: string[] = [];
  for (const node of nodes)
    for (const agent of agents) {
      const ps = live(pods).filter((p) => p.node === node && p.agent === agent);
      const name = AGENT_NAMES[agent];
      if (ps.length === 0) {
        out.push(`${node}: no ${name} pod`);
        continue;
      }
      for (const p of ps) {
        const v = imageVersion(p.image);
        if (v !== target) out.push(`${node}: ${name} pod ${p.pod} runs ${v ?? p.image}, not ${target}`);
        else if (!p.ready) out.push(`${node}: ${name} pod ${p.pod} is not ready`);
      }
    }
  return out;
}

/** The nodes where every agent already runs `version` (left out of the node waves). */
export function nodesAt(
  nodes: string[],
  pods: AgentPod[],
  version: string,
  agents: readonly Agent[],
): string[] {
  const present = agents.filter((a) => pods.some((p) => p.agent === a));
  return nodes.filter((n) => unverifiedNodes([n], pods, version, present).length === 0);
}
