/**
 * The ambient part of an upgrade's plan, or why the bot refuses it. Pure.
 *
 * istio.io "Upgrade with Helm" (ambient, https://istio.io/latest/docs/ambient/upgrade/helm/): the
 * control plane first (here: the Helm canary, ADR 14), then the node agents upgraded IN PLACE with
 * `helm upgrade` of their releases ("Istio does not currently support canary upgrades of ztunnel",
 * istio.io 1.23 ambient Helm upgrade), node by node; waypoints and gateways follow revision tags.
 * Ambient pods are never restarted (ztunnel takes them over), so ambient namespaces are no namespace
 * wave's. Refused, with the reason and the doc: an ambient mesh whose control plane or agents are not
 * Helm releases the bot can build on, several ztunnel (or istio-cni) DaemonSets (revisioned agents),
 * agents without their pods, and a skew the docs do not support (./skew.ts).
 */
import { err, ok, type Result } from '../../result.js';
import { AGENT_NAMES, type Agent, type AgentNode, type AgentPod, nodesAt } from './data-plane.js';
import { type NodeWave, planNodeWaves } from './node-waves.js';
import { AMBIENT_HELM_DOC, checkAmbientSkew } from './skew.js';

export interface AgentDaemonSet {
  agent: Agent;
  namespace: string;
  name: string;
  /** The Helm release that owns it (`meta.helm.sh/release-name`), null when none. */
  release: { name: string; namespace: string; status: string | null } | null;
}

export interface AmbientDataPlaneView {
  daemonSets: AgentDaemonSet[];
  pods: AgentPod[];
  nodes: AgentNode[];
  /** Namespaces labelled `istio.io/dataplane-mode=ambient`. */
  namespaces: string[];
  /** Waypoints (`gatewayClassName: istio-waypoint`) as `namespace/name`. */
  waypoints: string[];
}

export interface AmbientPlan {
  namespace: string;
  /** In the docs' order: ztunnel, then istio-cni (when installed). */
  releases: { agent: Agent; release: string }[];
  nodeWaves: NodeWave[];
  /** Nodes whose agents already run the target (no wave). */
  upToDate: string[];
  /** Excluded from namespace waves: never restarted. */
  ambientNamespaces: string[];
  waypoints: string[];
  /** What runs now, e.g. `ztunnel 1.25.3 on 2 nodes`. */
  running: string[];
  commands: string[];
}

export interface AmbientPlanInput {
  from: { version: string; revision: string };
  to: { version: string; revision: string };
  /** The control plane is a Helm release the Helm canary path builds on (installation.ts). */
  controlPlaneHelm: boolean;
  maxMinorSkew?: number;
  maxNodesPerWave?: number;
  cordon?: boolean;
}

const refuse = (code: string, message: string, hint: string) =>
  err({ code, message, hint: `${hint} (${AMBIENT_HELM_DOC})` });

export function planAmbient(view: AmbientDataPlaneView, input: AmbientPlanInput): Result<AmbientPlan> {
  const { from, to } = input;
  if (!input.controlPlaneHelm)
    return refuse(
      'ambient_not_helm',
      'The mesh runs in ambient mode and its control plane is not a Helm release: the bot upgrades ambient meshes installed with Helm only (istiod canary, then ztunnel and istio-cni in place with helm upgrade).',
      'Upgrade it as istio.io describes for your installer, or install it with Helm.',
    );
  const byAgent = (a: Agent) => view.daemonSets.filter((d) => d.agent === a);
  const zt = byAgent('ztunnel');
  const cni = byAgent('cni');
  if (zt.length === 0)
    return refuse(
      'ambient_no_ztunnel',
      `Namespaces are labelled istio.io/dataplane-mode=ambient (${view.namespaces.slice(0, 5).join(', ')}) but no ztunnel DaemonSet runs: there is no ambient data plane to upgrade.`,
      'Install ztunnel (helm install ztunnel istio/ztunnel) or remove the labels, then ask again.',
    );
  for (const [agent, ds] of [
    ['ztunnel', zt],
    ['cni', cni],
  ] as const)
    if (ds.length > 1)
      return refuse(
        'ambient_revisioned_agents',
        `There are ${ds.length} ${AGENT_NAMES[agent]} DaemonSets (${ds.map((d) => `${d.namespace}/${d.name}`).join(', ')}): Istio does not support canary (revisioned) upgrades of the node agents, one of each runs per node.`,
        'Keep one ztunnel and one istio-cni DaemonSet, upgraded in place.',
      );
  const agents = [...zt, ...cni];
  for (const d of agents) {
    if (!d.release)
      return refuse(
        'ambient_not_helm',
        `The ${AGENT_NAMES[d.agent]} DaemonSet ${d.namespace}/${d.name} is not a Helm release (no meta.helm.sh/release-name): the bot upgrades the node agents with helm upgrade of their releases.`,
        'Install the node agents with the ztunnel and cni charts, or upgrade them as istio.io describes for your installer.',
      );
    if (d.release.status !== 'deployed')
      return refuse(
        'ambient_release_not_deployed',
        `The ${AGENT_NAMES[d.agent]} release ${d.release.name} in ${d.release.namespace} is ${d.release.status ?? 'without its release Secret'}, not deployed: helm upgrade would build on a broken release.`,
        `Fix it with helm (helm history ${d.release.name} -n ${d.release.namespace}; helm rollback), then ask again.`,
      );
  }
  const skew = checkAmbientSkew({
    from: from.version,
    to: to.version,
    pods: view.pods,
    ...(input.maxMinorSkew === undefined ? {} : { maxMinorSkew: input.maxMinorSkew }),
  });
  if (!skew.ok) return skew;
  const present: Agent[] = cni.length ? ['ztunnel', 'cni'] : ['ztunnel'];
  const nodes = view.nodes.filter((n) => view.pods.some((p) => p.node === n.name));
  const upToDate = nodesAt(
    nodes.map((n) => n.name),
    view.pods,
    to.version,
    present,
  );
  const waves = planNodeWaves(nodes, {
    done: upToDate,
    ...(input.maxNodesPerWave === undefined ? {} : { maxNodesPerWave: input.maxNodesPerWave }),
    ...(input.cordon === undefined ? {} : { cordon: input.cordon }),
  });
  if (!waves.ok) return waves;
  const ns = zt[0]!.release!.namespace;
  const releases = agents.map((d) => ({ agent: d.agent, release: d.release!.name }));
  const commands = releases.map(
    (r) =>
      `helm upgrade ${r.release} ${r.agent === 'cni' ? 'cni' : 'ztunnel'} --version ${to.version} -n ${ns} --reset-then-reuse-values (its DaemonSet held at OnDelete; revision=${to.revision} where it named ${from.revision})`,
  );
  commands.push(
    ...waves.value.map(
      (w) =>
        `node wave ${w.index} (${w.nodes.join(', ')}): ${w.cordon.length ? 'cordon, ' : ''}replace the ${present.map((a) => AGENT_NAMES[a]).join(' and ')} pods, verify they run ${to.version}${w.cordon.length ? ', uncordon' : ''}`,
    ),
  );
  return ok({
    namespace: ns,
    releases,
    nodeWaves: waves.value,
    upToDate,
    ambientNamespaces: [...view.namespaces].sort(),
    waypoints: [...view.waypoints].sort(),
    running: skew.value.running,
    commands,
  });
}
