/**
 * Node waves for ztunnel and istio-cni. Pure.
 *
 * istio.io ("Upgrade with Helm", ambient): "ztunnel runs as a DaemonSet — a per-node proxy — meaning
 * that ztunnel upgrades affect, at minimum, an entire node at a time … applications with long-lived
 * TCP connections may be disrupted. In such cases, we recommend using node cordoning and draining
 * before upgrading the ztunnel for a given node." So the agents move node by node, in waves planned
 * the way namespace waves are: nodes marked as canaries first, then one node alone, then growing
 * batches (10 %, 30 %, the rest), each at most `maxNodesPerWave`. Nodes whose agents already run the
 * target are left out. Cordoning is optional (`cordon`): the wave's nodes are cordoned before their
 * pods are replaced and uncordoned after they are verified, except nodes that were cordoned before
 * (someone else's). The bot never drains: that would restart ambient pods, which ambient upgrades do
 * not need.
 */
import { err, ok, type Result } from '../../result.js';
import type { AgentNode } from './data-plane.js';

export interface NodeWave {
  index: number;
  nodes: string[];
  /** Why each node is in this wave, by node. */
  reasons: Record<string, string>;
  /** Nodes to cordon before and uncordon after (cordon on, and not cordoned before the upgrade). */
  cordon: string[];
}

export interface NodeWaveOptions {
  /** Default 5. */
  maxNodesPerWave?: number;
  cordon?: boolean;
  /** Nodes whose agents already run the target: left out. */
  done?: string[];
}

export const DEFAULT_NODES_PER_WAVE = 5;

function split(names: string[], size: number): string[][] {
  const out: string[][] = [];
  const parts = Math.ceil(names.length / size);
  for (let i = 0, at = 0; i < parts; i++) {
    const n = Math.ceil((names.length - at) / (parts - i));
    out.push(names.slice(at, at + n));
    at += n;
  }
  return out;
}

export function planNodeWaves(nodes: AgentNode[], o: NodeWaveOptions = {}): Result<NodeWave[]> {
  const size = o.maxNodesPerWave ?? DEFAULT_NODES_PER_WAVE;
  if (!Number.isInteger(size) || size < 1)
    return err({
      code: 'invalid_node_waves',
      message: `${size} nodes per wave is not a wave size.`,
      hint: 'Give a whole number of nodes per wave, 1 or more (default 5).',
    });
  const done = new Set(o.done ?? []);
  const todo = [...nodes].filter((n) => !done.has(n.name)).sort((a, b) => a.name.localeCompare(b.name));
  const planned: { nodes: string[]; why: string }[] = [];
  const canaries = todo.filter((n) => n.canary).map((n) => n.name);
  for (const w of canaries.length ? split(canaries, size) : [])
    planned.push({ nodes: w, why: 'marked istio-upgrade-bot.io/canary: upgraded first' });
  const rest = todo.filter((n) => !n.canary).map((n) => n.name);
  const total = rest.length;
  let at = 0;
  let prev = 0;
  const steps: [number, string][] = [
    [1, 'first alone: a canary node'],
    [Math.ceil(total * 0.1), `growing batches: the next 10 % of ${total} nodes`],
    [Math.ceil(total * 0.3), `growing batches: the next 30 % of ${total} nodes`],
  ];
  for (const [n, why] of steps) {
    if (at >= total) break;
    if (n <= prev) continue;
    prev = n;
    for (const w of split(rest.slice(at, at + n), size)) planned.push({ nodes: w, why });
    at += Math.min(n, total - at);
  }
  if (at < total)
    for (const w of split(rest.slice(at), size))
      planned.push({ nodes: w, why: `growing batches: the rest, at most ${size} nodes a wave` });
  const cordoned = new Set(nodes.filter((n) => n.unschedulable).map((n) => n.name));
  return ok(
    planned.map((p, i) => ({
      index: i + 1,
      nodes: p.nodes,
      reasons: Object.fromEntries(p.nodes.map((n) => [n, p.why])),
      cordon: o.cordon ? p.nodes.filter((n) => !cordoned.has(n)) : [],
    })),
  );
}

/** The namespaces of namespace waves without the ambient ones: ambient pods are never restarted. */
export function withoutAmbient(
  waves: string[][],
  ambientNamespaces: string[],
): { waves: string[][]; excluded: string[] } {
  const amb = new Set(ambientNamespaces);
  const excluded = waves.flat().filter((n) => amb.has(n));
  return {
    waves: waves.map((w) => w.filter((n) => !amb.has(n))).filter((w) => w.length > 0),
    excluded,
  };
}
