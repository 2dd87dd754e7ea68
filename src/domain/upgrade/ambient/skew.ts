/**
 * The version skew an ambient mesh allows between the control plane and its node agents. Pure.
 *
 * istio.io, "Upgrade with Helm" (ambient; https://istio.io/latest/docs/ambient/upgrade/helm/):
 *   "The ztunnel at version 1.x is generally compatible with the control plane at version 1.x+1 and
 *    1.x. This means the control plane must be upgraded before ztunnel, as long as their version
 *    difference is within one minor version."
 * and the same for the CNI node agent ("The Istio CNI agent at version 1.x is generally compatible
 * with the control plane at version 1.x+1 and 1.x"). So, checked before anything moves, for every
 * ztunnel and istio-cni pod: not newer than the control plane (now, and the target's), and at most
 * one minor behind the target (the new istiod serves it from the canary on, until its node's wave).
 * Minors decide, as the docs' `1.x` does; a patch is never skew.
 */
import { err, ok, type Result } from '../../result.js';
import { parseVersion } from '../../version.js';
import { AGENT_NAMES, type AgentPod, imageVersion } from './data-plane.js';

export const AMBIENT_HELM_DOC = 'https://istio.io/latest/docs/ambient/upgrade/helm/';
/** Istio's default: one minor (the docs' `1.x+1 and 1.x`). */
export const AMBIENT_MAX_MINOR_SKEW = 1;

export interface SkewInput {
  /** The control plane serving the mesh now (the old revision) and the target. */
  from: string;
  to: string;
  pods: AgentPod[];
  /** A deliberate operator override for a test mesh (as `maxMinorJump` is); default 1. */
  maxMinorSkew?: number;
}

export interface SkewReport {
  /** `ztunnel 1.25.3 on 2 nodes` … : what runs now, for the plan. */
  running: string[];
}

const minorOf = (v: string) => {
  const p = parseVersion(v);
  return p.ok ? { major: p.value.major, minor: p.value.minor } : null;
};
const ord = (m: { major: number; minor: number }) => m.major * 1000 + m.minor;

export function checkAmbientSkew(input: SkewInput): Result<SkewReport> {
  const max = input.maxMinorSkew ?? AMBIENT_MAX_MINOR_SKEW;
  const from = minorOf(input.from);
  const to = minorOf(input.to);
  if (!from || !to)
    return err({
      code: 'invalid_version',
      message: `The control plane versions ${input.from} → ${input.to} cannot be compared.`,
    });
  const problems: string[] = [];
  const counts = new Map<string, number>();
  for (const p of input.pods.filter((x) => !x.terminating)) {
    const name = AGENT_NAMES[p.agent];
    const v = imageVersion(p.image);
    const m = v ? minorOf(v) : null;
    if (!v || !m) {
      problems.push(
        `${name} pod ${p.pod} on ${p.node} runs image ${p.image}, whose tag is no Istio version: its skew cannot be checked`,
      );
      continue;
    }
    const key = `${name} ${v}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (ord(m) > ord(from))
      problems.push(`${name} on ${p.node} runs ${v}, newer than the control plane ${input.from}`);
    else if (ord(m) > ord(to))
      problems.push(`${name} on ${p.node} runs ${v}, newer than the target ${input.to}`);
    else if (ord(to) - ord(m) > max)
      problems.push(
        `${name} on ${p.node} runs ${v}, ${ord(to) - ord(m)} minors behind the target ${input.to} (at most ${max})`,
      );
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5);
    const more = problems.length > 5 ? ` and ${problems.length - 5} more` : '';
    const behind = problems.some((x) => x.includes('minors behind'));
    const newer = problems.some((x) => x.includes('newer than'));
    return err({
      code: 'ambient_skew',
      message: `The ambient data plane would leave the supported version skew: ${shown.join('; ')}${more}. ztunnel and istio-cni at 1.x work with a control plane at 1.x and 1.x+1 only (${AMBIENT_HELM_DOC}).`,
      hint: [
        behind
          ? `Upgrade one minor at a time (e.g. ${input.from} → the latest patch of the next minor), each with its node agents, then the next.`
          : '',
        newer
          ? 'A control plane older than its ztunnel or istio-cni is not supported: an ambient mesh is not downgraded by the bot; upgrade the control plane to at least the node agents’ minor.'
          : '',
        problems.some((x) => x.includes('no Istio version'))
          ? 'Run ztunnel and istio-cni with the release images (a version tag), as the charts do by default.'
          : '',
      ]
        .filter(Boolean)
        .join(' '),
    });
  }
  const running = [...counts.entries()].map(([k, n]) => `${k} on ${n} node${n === 1 ? '' : 's'}`).sort();
  return ok({ running });
}
