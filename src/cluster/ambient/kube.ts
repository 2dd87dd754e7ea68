/**
 * The ambient data plane over the Kubernetes API (ADR 20): the node agents' DaemonSets (ztunnel,
 * istio-cni; matched by install-kind's `agentOf`), their pods by node, the nodes, ambient namespaces
 * and waypoints; node operations: replace an agent pod on a node (delete it: its DaemonSet, held at
 * OnDelete, recreates it from the new template), cordon/uncordon, and wait until each node's agents
 * run a version. Every request through KubeClient.request (own timeout, transient faults retried, the
 * caller's AbortSignal). Never a drain: ambient pods are not restarted.
 */
import { CustomObjectsApi, type V1DaemonSet, type V1Pod } from '@kubernetes/client-node';
import {
  type Agent,
  type AgentDaemonSet,
  type AgentNode,
  type AgentPod,
  type AmbientDataPlaneView,
  imageVersion,
  unverifiedNodes,
} from '../../domain/upgrade/ambient/index.js';
import { CANARY_MARKER } from '../../domain/upgrade/plan.js';
import { CodedError, ErrorCode } from '../../errors.js';
import { sleep } from '../cancel.js';
import { agentOf, helmReleases, RELEASE_NAME, RELEASE_NAMESPACE } from '../install-kind/classify.js';
import { WAYPOINT_CLASS } from '../install-kind/kube.js';
import { type KubeClient, mergePatch } from '../kube/client.js';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';
/** The bot's mark on a node it cordoned (value "true"): only such nodes are uncordoned by it. */
export const CORDONED_BY = 'istio-upgrade-bot.io/cordoned';

/**
 * What a cordon (`cordon` true) or uncordon does to a node (pure): the new `spec.unschedulable`, or null
 * when the node is left as it is — cordoned already by the bot (`marked`) and cordoned, or cordoned by
 * someone else (unschedulable, not marked), or not the bot's to uncordon.
 */
export function cordonChange(marked: boolean, unschedulable: boolean, cordon: boolean): boolean | null {
  if (cordon) return unschedulable ? null : true;
  return marked ? false : null;
}

/** The agent container of each chart's DaemonSet. */
const CONTAINER: Record<Agent, string> = { ztunnel: 'istio-proxy', cni: 'install-cni' };

export interface AgentSet {
  ds: AgentDaemonSet;
  selector: string;
}

const selectorOf = (d: V1DaemonSet) =>
  Object.entries(d.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

function agentPod(agent: Agent, p: V1Pod): AgentPod | null {
  const node = p.spec?.nodeName;
  if (!node || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return null;
  const cs = p.spec?.containers ?? [];
  const c = cs.find((x) => x.name === CONTAINER[agent]) ?? cs[0];
  const ready = (p.status?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True');
  return {
    agent,
    node,
    pod: p.metadata?.name ?? '',
    image: c?.image ?? '',
    ready,
    ...(p.metadata?.deletionTimestamp ? { terminating: true } : {}),
  };
}

export class KubeAmbientNodes {
  private custom: CustomObjectsApi | undefined;
  constructor(
    private readonly client: KubeClient,
    private readonly o: { pollMs?: number } = {},
  ) {}

  /** The agents' DaemonSets with the Helm release that owns each (status from its release Secrets). */
  async agentSets(signal?: AbortSignal): Promise<AgentSet[]> {
    const list = await this.client.request(
      'list DaemonSets',
      (o) => this.client.apps.listDaemonSetForAllNamespaces({}, o),
      { signal },
    );
    const out: AgentSet[] = [];
    for (const d of list.items) {
      const agent = agentOf(d);
      if (!agent || d.metadata?.deletionTimestamp) continue;
      const ann = d.metadata?.annotations ?? {};
      const ns = d.metadata?.namespace ?? '';
      const name = ann[RELEASE_NAME];
      let release: AgentDaemonSet['release'] = null;
      if (name) {
        const rns = ann[RELEASE_NAMESPACE] ?? ns;
        const secrets = await this.client.request(
          `list Helm release Secrets of ${name} in ${rns}`,
          (o) =>
            this.client.core.listNamespacedSecret(
              { namespace: rns, labelSelector: `owner=helm,name=${name}` },
              o,
            ),
          { signal },
        );
        const rel = helmReleases(secrets.items, rns).find((r) => r.name === name);
        release = { name, namespace: rns, status: rel?.status ?? null };
      }
      out.push({
        ds: { agent, namespace: ns, name: d.metadata?.name ?? '', release },
        selector: selectorOf(d),
      });
    }
    return out.sort(
      (a, b) => a.ds.agent.localeCompare(b.ds.agent) * -1 || a.ds.name.localeCompare(b.ds.name),
    );
  }

  async pods(sets: AgentSet[], signal?: AbortSignal): Promise<AgentPod[]> {
    const out: AgentPod[] = [];
    for (const s of sets) {
      const list = await this.client.request(
        `list ${s.ds.agent} pods in ${s.ds.namespace}`,
        (o) =>
          this.client.core.listNamespacedPod({ namespace: s.ds.namespace, labelSelector: s.selector }, o),
        { signal },
      );
      for (const p of list.items) {
        const a = agentPod(s.ds.agent, p);
        if (a) out.push(a);
      }
    }
    return out.sort((a, b) => a.node.localeCompare(b.node) || a.agent.localeCompare(b.agent));
  }

  async nodes(signal?: AbortSignal): Promise<AgentNode[]> {
    const list = await this.client.request('list Nodes', (o) => this.client.core.listNode({}, o), { signal });
    return list.items.map((n) => ({
      name: n.metadata?.name ?? '',
      ...(n.metadata?.labels?.[CANARY_MARKER] === 'true' ? { canary: true } : {}),
      ...(n.spec?.unschedulable ? { unschedulable: true } : {}),
    }));
  }

  async view(signal?: AbortSignal): Promise<AmbientDataPlaneView> {
    const sets = await this.agentSets(signal);
    const [pods, nodes, namespaces, waypoints] = await Promise.all([
      this.pods(sets, signal),
      this.nodes(signal),
      this.client.request(
        'list ambient Namespaces',
        (o) => this.client.core.listNamespace({ labelSelector: 'istio.io/dataplane-mode=ambient' }, o),
        { signal },
      ),
      this.waypoints(signal),
    ]);
    return {
      daemonSets: sets.map((s) => s.ds),
      pods,
      nodes,
      namespaces: namespaces.items
        .map((n) => n.metadata?.name ?? '')
        .filter(Boolean)
        .sort(),
      waypoints,
    };
  }

  private async waypoints(signal?: AbortSignal): Promise<string[]> {
    this.custom ??= this.client.kc.makeApiClient(CustomObjectsApi);
    const custom = this.custom;
    const got = (await this.client.requestOrNull(
      'list Gateways (waypoints)',
      (o) => custom.listClusterCustomObject({ group: GATEWAY_GROUP, version: 'v1', plural: 'gateways' }, o),
      { signal },
    )) as {
      items?: { metadata?: { namespace?: string; name?: string }; spec?: { gatewayClassName?: string } }[];
    } | null;
    return (got?.items ?? [])
      .filter((g) => g.spec?.gatewayClassName === WAYPOINT_CLASS)
      .map((g) => `${g.metadata?.namespace}/${g.metadata?.name}`)
      .sort();
  }

  /**
   * Deletes the agent pods on `nodes` that do not run `version` (their DaemonSet recreates them from
   * its template). Idempotent: a pod already at the version, or already going, is left alone.
   */
  async replaceOnNodes(nodes: string[], version: string, signal?: AbortSignal): Promise<string[]> {
    const sets = await this.agentSets(signal);
    const want = new Set(nodes);
    const pods = (await this.pods(sets, signal)).filter(
      (p) => want.has(p.node) && !p.terminating && imageVersion(p.image) !== version,
    );
    const deleted: string[] = [];
    for (const p of pods) {
      const ns = sets.find((s) => s.ds.agent === p.agent)!.ds.namespace;
      await this.client.requestOrNull(
        `delete ${p.agent} pod ${ns}/${p.pod}`,
        (o) => this.client.core.deleteNamespacedPod({ namespace: ns, name: p.pod }, o),
        { signal },
      );
      deleted.push(`${ns}/${p.pod}`);
    }
    return deleted;
  }

  /**
   * Cordons (`spec.unschedulable`) each node of `nodes` that is schedulable, marking it with the bot's
   * annotation CORDONED_BY in the same patch; a node someone else cordoned is left alone. Uncordons
   * only the nodes carrying that annotation (and removes it); a node cordoned by someone else stays
   * cordoned. Returns the nodes that are (cordon) or were (uncordon) the bot's: cordoned now or by an
   * earlier run of the same step (idempotent). The read and the patch are one attempt, the patch
   * conditional on the node's resourceVersion: a concurrent change conflicts and the attempt is
   * retried on a fresh read. A node that is gone is skipped.
   */
  async setCordon(nodes: string[], cordoned: boolean, signal?: AbortSignal): Promise<string[]> {
    const mine: string[] = [];
    for (const name of nodes) {
      const ours = await this.client.requestOrNull(
        `${cordoned ? 'cordon' : 'uncordon'} node ${name}`,
        async (o) => {
          const n = await this.client.core.readNode({ name }, o);
          const marked = n.metadata?.annotations?.[CORDONED_BY] !== undefined;
          const change = cordonChange(marked, n.spec?.unschedulable === true, cordoned);
          if (change === null) return marked;
          const body = {
            metadata: {
              resourceVersion: n.metadata?.resourceVersion,
              annotations: { [CORDONED_BY]: cordoned ? 'true' : null },
            },
            spec: { unschedulable: change },
          };
          await this.client.core.patchNode({ name, body }, mergePatch(o));
          return true;
        },
        { signal },
      );
      if (ours) mine.push(name);
    }
    return mine;
  }

  /** Polls until every node of `nodes` runs each agent at `version`, ready; throws verify_failed naming what is not. */
  async waitForNodes(
    nodes: string[],
    version: string,
    opts: {
      timeoutMs: number;
      signal?: AbortSignal;
      onProgress?: (p: { total: number; ready: number }) => void;
    },
  ): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
      const sets = await this.agentSets(opts.signal);
      const agents = [...new Set(sets.map((s) => s.ds.agent))];
      const pods = await this.pods(sets, opts.signal);
      const wrong = unverifiedNodes(nodes, pods, version, agents);
      const bad = new Set(wrong.map((w) => w.split(':')[0]));
      opts.onProgress?.({ total: nodes.length, ready: nodes.filter((n) => !bad.has(n)).length });
      if (wrong.length === 0) return;
      if (Date.now() >= deadline)
        throw new CodedError(
          ErrorCode.VerifyFailed,
          `Node agents not on ${version} within ${Math.round(opts.timeoutMs / 1000)} s: ${wrong.join('; ')}.`,
          { wrong },
        );
      await sleep(this.o.pollMs ?? 500, opts.signal);
    }
  }
}
