/**
 * STAND-IN for the ambient node agents (AmbientDataPlane, src/engine/ports-ambient.ts) in engine
 * tests — not Kubernetes nor helm. In memory, with the semantics the engine relies on (the real
 * adapter, src/cluster/ambient, is tested on the test cluster with the real charts):
 * - each agent is a Helm release with a history (chart version, `updateStrategy` value, whether the
 *   revision is the bot's hold) and one DaemonSet whose template runs the release's version;
 * - RollingUpdate replaces every pod not on the template at once (a helm upgrade or rollback rolls
 *   every node); OnDelete replaces nothing until a pod is deleted (`replaceOnNodes`);
 * - a replaced pod gets a new uid and is ready one `verifyNodes` poll later;
 * - `readHolds` answers the user's strategy from the newest revision that is not the bot's hold, so
 *   it is the same before and after the held upgrade; `setCordon` cordons only schedulable nodes
 *   and uncordons only those it cordoned;
 * - waypoints follow the `default` tag (no `istio.io/rev` labels): `servingRevision` says which
 *   revision that is now, and istiod is taken to render them there at once;
 * - `failAfter(method)`: the next call of the method acts, then throws (a crash between a helm
 *   change and the step's save); every call is logged in `calls`.
 */
import type { Agent, AmbientDataPlaneView } from '../../src/domain/upgrade/ambient/index.js';
import type { Waypoint } from '../../src/domain/upgrade/ambient/waypoints.js';
import type { AgentHold, AmbientDataPlane, RolloutProgress } from '../../src/engine/ports.js';
import { CodedError, ErrorCode } from '../../src/errors.js';

type Strategy = Record<string, unknown> | null;
interface Revision {
  version: string;
  strategy: Strategy;
  botHold: boolean;
}
interface Release {
  agent: Agent;
  name: string;
  history: Revision[];
}
export interface StandinAgentPod {
  agent: Agent;
  node: string;
  uid: number;
  version: string;
  ready: boolean;
}

const IMAGE: Record<Agent, string> = { ztunnel: 'ztunnel', cni: 'install-cni' };
const onDelete = (s: Strategy) => (s as { type?: string } | null)?.type === 'OnDelete';

export class AmbientStandin implements AmbientDataPlane {
  readonly releases: Release[];
  pods: StandinAgentPod[] = [];
  nodes: { name: string; unschedulable: boolean; byBot: boolean; canary?: boolean }[];
  calls: string[] = [];
  /** The revision the `default` tag points at now (the waypoints follow it); null: none. */
  servingRevision: () => Promise<string | null> = async () => null;
  private uid = 0;
  private readonly failing = new Set<string>();

  constructor(
    version: string,
    nodes: string[],
    readonly namespaces: string[] = [],
    readonly waypointNames: string[] = [],
    userStrategy: Strategy = null,
    readonly namespace = 'istio-system',
  ) {
    this.releases = (['ztunnel', 'cni'] as const).map((agent) => ({
      agent,
      name: agent === 'cni' ? 'istio-cni' : 'ztunnel',
      history: [{ version, strategy: userStrategy, botHold: false }],
    }));
    this.nodes = nodes.map((name) => ({ name, unschedulable: false, byBot: false }));
    for (const node of nodes) for (const r of this.releases) this.pods.push(this.pod(r.agent, node, version));
  }

  private pod(agent: Agent, node: string, version: string): StandinAgentPod {
    return { agent, node, uid: ++this.uid, version, ready: true };
  }
  private current = (r: Release) => r.history[r.history.length - 1]!;
  private release(name: string) {
    const r = this.releases.find((x) => x.name === name);
    if (!r) throw new CodedError('helm_failed', `helm release ${name} in ${this.namespace} is gone`);
    return r;
  }

  /** The next call of `method` acts, then throws. */
  failAfter(method: string): void {
    this.failing.add(method);
  }
  private after(method: string): void {
    if (!this.failing.delete(method)) return;
    throw new CodedError('helm_failed', `${method}: the process died after the change (stand-in fault)`);
  }

  /** RollingUpdate: every pod not on its release's version is replaced (helm --wait). */
  private roll(r: Release): void {
    const cur = this.current(r);
    if (onDelete(cur.strategy)) return;
    this.pods = this.pods.map((p) =>
      p.agent === r.agent && p.version !== cur.version ? this.pod(p.agent, p.node, cur.version) : p,
    );
  }

  /** The user's strategy of a release: its newest revision that is not the bot's hold. */
  private userStrategy(r: Release): Strategy {
    return [...r.history].reverse().find((h) => !h.botHold)?.strategy ?? null;
  }

  async inspect(): Promise<AmbientDataPlaneView> {
    this.calls.push('inspect');
    return {
      daemonSets: this.releases.map((r) => ({
        agent: r.agent,
        namespace: this.namespace,
        name: r.agent === 'cni' ? 'istio-cni-node' : 'ztunnel',
        release: { name: r.name, namespace: this.namespace, status: 'deployed' },
      })),
      pods: this.pods.map((p) => ({
        agent: p.agent,
        node: p.node,
        pod: `${p.agent}-${p.uid}`,
        image: `docker.io/istio/${IMAGE[p.agent]}:${p.version}`,
        ready: p.ready,
      })),
      nodes: this.nodes.map((n) => ({
        name: n.name,
        ...(n.canary ? { canary: true } : {}),
        ...(n.unschedulable ? { unschedulable: true } : {}),
      })),
      namespaces: [...this.namespaces],
      waypoints: [...this.waypointNames],
    };
  }

  async waypoints(): Promise<Waypoint[]> {
    this.calls.push('waypoints');
    const rev = await this.servingRevision();
    return this.waypointNames.map((w) => {
      const [namespace, name] = w.split('/') as [string, string];
      return {
        namespace,
        name,
        revLabel: null,
        namespaceRev: null,
        managed: true,
        deployment: name,
        servedBy: rev,
        renderedBy: rev,
        ready: rev !== null,
      };
    });
  }

  /** The target's charts have an `updateStrategy` value (false: like the 1.25 charts). */
  holdable = true;

  async checkHoldable(
    target: { releases: { agent: Agent; release: string }[] },
    version: string,
  ): Promise<void> {
    this.calls.push('checkHoldable');
    if (!this.holdable)
      throw new CodedError(
        ErrorCode.HelmFailed,
        `The charts ${target.releases.map((r) => `${r.agent} ${version}`).join(', ')} have no updateStrategy value: the bot cannot hold the DaemonSet at OnDelete`,
      );
  }

  async readHolds(target: { releases: { agent: Agent; release: string }[] }): Promise<AgentHold[]> {
    this.calls.push('readHolds');
    return target.releases.map((t) => ({ ...t, userStrategy: this.userStrategy(this.release(t.release)) }));
  }

  async upgradeReleases(
    target: { releases: { agent: Agent; release: string }[] },
    _from: { version: string; revision: string },
    to: { version: string; revision: string },
    prior: AgentHold[] | undefined,
  ): Promise<AgentHold[]> {
    this.calls.push('upgradeReleases');
    const holds = target.releases.map((t) => {
      const r = this.release(t.release);
      const before = prior?.find((h) => h.release === t.release);
      const hold = { ...t, userStrategy: before ? before.userStrategy : this.userStrategy(r) };
      const cur = this.current(r);
      if (!(cur.version === to.version && cur.botHold))
        r.history.push({ version: to.version, strategy: { type: 'OnDelete' }, botHold: true });
      return hold;
    });
    this.after('upgradeReleases');
    return holds;
  }

  async replaceOnNodes(nodes: string[], version: string): Promise<string[]> {
    this.calls.push(`replaceOnNodes ${nodes.join(',')}`);
    const deleted: string[] = [];
    this.pods = this.pods.map((p) => {
      if (!nodes.includes(p.node) || p.version === version) return p;
      deleted.push(`${p.agent}-${p.uid}`);
      const r = this.releases.find((x) => x.agent === p.agent)!;
      return { ...this.pod(p.agent, p.node, this.current(r).version), ready: false };
    });
    return deleted;
  }

  async verifyNodes(
    nodes: string[],
    version: string,
    opts: { timeoutMs: number; signal?: AbortSignal; onProgress?: (p: RolloutProgress) => void },
  ): Promise<void> {
    this.calls.push(`verifyNodes ${nodes.join(',')}`);
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
      const ok = (n: string) =>
        this.releases.every((r) =>
          this.pods.some((p) => p.node === n && p.agent === r.agent && p.version === version && p.ready),
        );
      const ready = nodes.filter(ok);
      opts.onProgress?.({ total: nodes.length, ready: ready.length });
      if (ready.length === nodes.length) return;
      if (opts.signal?.aborted) throw new Error('aborted');
      if (Date.now() > deadline)
        throw new CodedError(
          'verify_failed',
          `${nodes.filter((n) => !ok(n)).join(', ')}: not every agent runs ${version}`,
        );
      // a replaced pod becomes ready one poll later
      for (const p of this.pods) if (nodes.includes(p.node)) p.ready = true;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async setCordon(nodes: string[], cordoned: boolean): Promise<string[]> {
    this.calls.push(`setCordon ${nodes.join(',')} ${cordoned}`);
    const out: string[] = [];
    for (const n of this.nodes.filter((x) => nodes.includes(x.name))) {
      if (cordoned && (n.byBot || !n.unschedulable)) {
        n.unschedulable = true;
        n.byBot = true;
        out.push(n.name);
      } else if (!cordoned && n.byBot) {
        n.unschedulable = false;
        n.byBot = false;
        out.push(n.name);
      }
    }
    return out;
  }

  async releaseHold(_namespace: string, holds: AgentHold[], version: string): Promise<void> {
    this.calls.push('releaseHold');
    for (const h of holds) {
      const r = this.release(h.release);
      const cur = this.current(r);
      if (!cur.botHold) continue;
      r.history.push({ version, strategy: h.userStrategy, botHold: false });
      this.roll(r);
    }
  }

  async rollbackReleases(
    target: { releases: { agent: Agent; release: string }[] },
    version: string,
  ): Promise<void> {
    this.calls.push('rollbackReleases');
    for (const t of [...target.releases].reverse()) {
      const r = this.release(t.release);
      const back = [...r.history].reverse().find((h) => h.version !== version);
      if (!back || this.current(r).version !== version) continue;
      r.history.push({ ...back });
      this.roll(r);
    }
  }

  /** The `updateStrategy` value each release has now. */
  strategies(): Record<string, Strategy> {
    return Object.fromEntries(this.releases.map((r) => [r.name, this.current(r).strategy]));
  }
}
