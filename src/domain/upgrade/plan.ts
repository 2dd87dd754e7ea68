/**
 * Turns an UpgradeCommand and what the cluster shows (control planes, tags, namespaces) into a plan:
 * from/to versions and revisions, and the waves. Pure; every refusal says what was wrong and how to
 * write it right.
 *
 * Waves when `--waves` is absent: every injected namespace that does not already point at the target
 * is migrated, the way a person (and the Sail Operator's workload-migration design) would: first the
 * namespaces marked as canaries (`istio-upgrade-bot.io/canary: "true"`, a label or an annotation),
 * then the namespaces that hold gateways, apart from the applications, then growing batches of the
 * rest (1 namespace, 10 %, 30 %, then the rest), every wave at most `maxWaveSize` (default 5)
 * namespaces, in alphabetical order within each group. Each wave says why each namespace is in it.
 */
import type { UpgradeCommand } from '../command/types.js';
import { err, ok, type Result } from '../result.js';
import {
  checkCanarySkew,
  formatVersion,
  MAX_CANARY_MINOR_JUMP,
  parseVersion,
  revisionFor,
  validateLabel,
  validateRevision,
} from '../version.js';
import type { Strategy } from './record.js';

export interface MeshView {
  controlPlanes: { revision: string; version: string; ready: boolean }[];
  tags: { tag: string; revision: string }[];
  namespaces: {
    name: string;
    injection: string | null;
    rev: string | null;
    /** marked `istio-upgrade-bot.io/canary: "true"` (label or annotation): migrated first. */
    canary?: boolean;
    /** holds a gateway: migrated in waves of its own. */
    gateway?: boolean;
  }[];
}

/** The namespace label or annotation (value `"true"`) that puts a namespace in the first waves. */
export const CANARY_MARKER = 'istio-upgrade-bot.io/canary';

export interface PlanOptions {
  stableTag?: string;
  canaryTag?: string;
  maxWaveSize?: number;
  /**
   * Most minor versions one canary move may jump (default 2, Istio's supported skew). A deliberate
   * operator override: a larger value lets e.g. 1.25 → 1.31-dev through for a test mesh.
   */
  maxMinorJump?: number;
  /** Ambient meshes' node waves (ADR 20): the skew override, the wave size, cordoning. */
  ambient?: { maxMinorSkew?: number; maxNodesPerWave?: number; cordon?: boolean };
}

export interface UpgradePlan {
  from: { version: string; revision: string };
  to: { version: string; revision: string };
  move: 'upgrade' | 'downgrade';
  strategy: Strategy;
  tags?: { stable: string; canary: string };
  waves: string[][];
  /** Per wave (same order as waves): why each of its namespaces is in it, by namespace. */
  reasons: Record<string, string>[];
}

const SYSTEM_NAMESPACES = new Set(['istio-system', 'kube-system', 'kube-public', 'kube-node-lease']);

/** Which revision a namespace's pods get, or null when they get no sidecar. */
export function namespaceRevision(ns: MeshView['namespaces'][number], mesh: MeshView): string | null {
  if (ns.injection === 'disabled') return null;
  if (ns.injection === 'enabled') return defaultRevision(mesh);
  if (ns.rev === null) return null;
  return mesh.tags.find((t) => t.tag === ns.rev)?.revision ?? ns.rev;
}

function defaultRevision(mesh: MeshView): string | null {
  const tagged = mesh.tags.find((t) => t.tag === 'default')?.revision;
  if (tagged) return tagged;
  if (mesh.controlPlanes.some((c) => c.revision === 'default')) return 'default';
  return mesh.controlPlanes.length === 1 ? (mesh.controlPlanes[0]?.revision ?? null) : null;
}

function pickFrom(mesh: MeshView, toRevision: string): Result<{ version: string; revision: string }> {
  const same = mesh.controlPlanes.find((c) => c.revision === toRevision);
  const others = mesh.controlPlanes.filter((c) => c.revision !== toRevision);
  if (same && others.length === 0) return ok(same); // the skew check then says "already runs"
  if (others.length === 0)
    return err({
      code: 'no_control_plane',
      message: 'No istiod control plane was found in istio-system (Deployments with label app=istiod).',
      hint: 'Install Istio first; the bot upgrades an existing mesh.',
    });
  if (others.length === 1) return ok(others[0]!);
  const def = defaultRevision(mesh);
  const chosen = others.find((c) => c.revision === def);
  if (chosen) return ok(chosen);
  return err({
    code: 'ambiguous_control_plane',
    message: `Several control planes run (${others.map((c) => c.revision).join(', ')}) and no default tag says which one is current.`,
    hint: 'Point the `default` tag at the current revision (`istioctl tag set default --revision <rev>`) or remove the unused one.',
  });
}

function checkWaves(waves: string[][], mesh: MeshView, cluster: string): Result<string[][]> {
  const seen = new Map<string, number>();
  for (const [i, wave] of waves.entries()) {
    if (wave.length === 0)
      return err({
        code: 'invalid_waves',
        message: `Wave ${i + 1} is empty.`,
        hint: 'Write waves as `a,b;c`.',
      });
    for (const name of wave) {
      const bad = validateLabel('namespace', name);
      if (bad) return err(bad);
      const prev = seen.get(name);
      if (prev !== undefined)
        return err({
          code: 'invalid_waves',
          message: `Namespace "${name}" appears in wave ${prev} and wave ${i + 1}.`,
          hint: 'Put each namespace in one wave only.',
        });
      seen.set(name, i + 1);
      const ns = mesh.namespaces.find((n) => n.name === name);
      if (!ns)
        return err({
          code: 'unknown_namespace',
          message: `Namespace "${name}" does not exist in cluster ${cluster}.`,
          hint: 'Check the spelling with `kubectl get namespaces`, or leave out --waves to plan from the injected namespaces.',
        });
      if (namespaceRevision(ns, mesh) === null)
        return err({
          code: 'namespace_not_injected',
          message: `Namespace "${name}" is not injected: it has no \`istio-injection=enabled\` or \`istio.io/rev\` label, so there is no sidecar to upgrade.`,
          hint: 'Leave it out of --waves, or label it first if it should join the mesh.',
        });
    }
  }
  return ok(waves);
}

/** Splits names into `parts` waves of near-equal size, the larger ones first. */
function evenly(names: string[], parts: number): string[][] {
  const out: string[][] = [];
  for (let i = 0, at = 0; i < parts; i++) {
    const n = Math.ceil((names.length - at) / (parts - i));
    out.push(names.slice(at, at + n));
    at += n;
  }
  return out;
}

/** Waves of at most size, as even as they can be. */
function capped(names: string[], size: number): string[][] {
  return names.length === 0 ? [] : evenly(names, Math.ceil(names.length / size));
}

interface Planned {
  waves: string[][];
  reasons: Record<string, string>[];
}

function push(out: Planned, waves: string[][], why: (wave: string[], i: number) => string): void {
  for (const [i, wave] of waves.entries()) {
    const reason = why(wave, i);
    out.waves.push(wave);
    out.reasons.push(Object.fromEntries(wave.map((n) => [n, reason])));
  }
}

/**
 * Growing batches of the namespaces nothing else places: 1, 10 %, 30 %, the rest, each capped; a
 * batch no larger than the one before it is left out (3 namespaces: 1, then 2).
 */
function batches(names: string[], size: number): { wave: string[]; why: string }[] {
  const total = names.length;
  const out: { wave: string[]; why: string }[] = [];
  let at = 0;
  const steps: [number, string][] = [
    [1, 'first alone: a canary of the data plane'],
    [Math.ceil(total * 0.1), `growing batches: the next 10 % of ${total} namespaces`],
    [Math.ceil(total * 0.3), `growing batches: the next 30 % of ${total} namespaces`],
  ];
  let prev = 0;
  for (const [n, why] of steps) {
    if (at >= total) return out;
    if (n <= prev) continue; // a batch that would not grow joins the next one
    prev = n;
    for (const wave of capped(names.slice(at, at + n), size)) out.push({ wave, why });
    at += Math.min(n, total - at);
  }
  for (const wave of capped(names.slice(at), size)) {
    out.push({ wave, why: `growing batches: the rest, at most ${size} a wave` });
  }
  return out;
}

function autoWaves(mesh: MeshView, toRevision: string, maxWaveSize: number): Planned {
  const todo = mesh.namespaces
    .filter((n) => !SYSTEM_NAMESPACES.has(n.name))
    .filter((n) => {
      const r = namespaceRevision(n, mesh);
      return r !== null && r !== toRevision;
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const gateways = todo.filter((n) => n.gateway).map((n) => n.name);
  const canaries = todo.filter((n) => n.canary && !n.gateway).map((n) => n.name);
  const rest = todo.filter((n) => !n.canary && !n.gateway).map((n) => n.name);
  const out: Planned = { waves: [], reasons: [] };
  push(out, capped(canaries, maxWaveSize), () => `marked as a canary (${CANARY_MARKER}): goes first`);
  push(
    out,
    capped(gateways, maxWaveSize),
    () => 'holds a gateway: in a wave of its own, apart from the applications',
  );
  for (const { wave, why } of batches(rest, maxWaveSize)) push(out, [wave], () => why);
  return out;
}

function given(waves: string[][]): Planned {
  return {
    waves,
    reasons: waves.map((w) => Object.fromEntries(w.map((n) => [n, 'named in --waves']))),
  };
}

export function planUpgrade(
  cmd: UpgradeCommand,
  mesh: MeshView,
  cluster: string,
  opts: PlanOptions = {},
): Result<UpgradePlan> {
  const target = parseVersion(cmd.version);
  if (!target.ok) return target;
  const toRevision = cmd.revision ?? revisionFor(target.value);
  const badRev = validateRevision(toRevision);
  if (badRev) return err(badRev);
  const from = pickFrom(mesh, toRevision);
  if (!from.ok) return from;
  const fromVersion = parseVersion(from.value.version);
  if (!fromVersion.ok)
    return err({
      code: 'unknown_current_version',
      message: `The running control plane ${from.value.revision} reports version "${from.value.version}", which is not an Istio version.`,
    });
  const skew = checkCanarySkew(fromVersion.value, target.value, opts.maxMinorJump ?? MAX_CANARY_MINOR_JUMP);
  if (!skew.ok) return skew;
  if (mesh.controlPlanes.some((c) => c.revision === toRevision))
    return err({
      code: 'revision_exists',
      message: `A control plane with revision "${toRevision}" is already installed.`,
      hint: 'Finish or roll back the upgrade that installed it, uninstall it, or pick another --revision.',
    });
  const move = skew.value === 'downgrade' ? 'downgrade' : 'upgrade';
  let tags: UpgradePlan['tags'];
  if (cmd.strategy === 'tags') {
    const stable = opts.stableTag ?? 'prod-stable';
    const canary = opts.canaryTag ?? 'prod-canary';
    const st = mesh.tags.find((t) => t.tag === stable);
    if (!st || st.revision !== from.value.revision)
      return err({
        code: 'tag_missing',
        message: `The tags strategy needs the tag "${stable}" pointing at the current revision ${from.value.revision}${st ? ` (it points at ${st.revision})` : ' (it does not exist)'}.`,
        hint: `Create it with \`istioctl tag set ${stable} --revision ${from.value.revision}\` and label namespaces \`istio.io/rev=${stable}\`, or use --strategy labels.`,
      });
    tags = { stable, canary };
  }
  const checked = cmd.waves ? checkWaves(cmd.waves, mesh, cluster) : null;
  if (checked && !checked.ok) return checked;
  const planned = checked
    ? given(checked.value)
    : autoWaves(mesh, toRevision, Math.max(1, Math.floor(opts.maxWaveSize ?? 5)));
  return ok({
    from: { version: formatVersion(fromVersion.value), revision: from.value.revision },
    to: { version: formatVersion(target.value), revision: toRevision },
    move,
    strategy: cmd.strategy,
    ...(tags ? { tags } : {}),
    waves: planned.waves,
    reasons: planned.reasons,
  });
}
