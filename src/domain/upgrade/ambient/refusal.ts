/**
 * While the engine does not run node waves (ADR 20), an ambient mesh is refused at request time; this
 * makes the refusal exact. Pure. With the data plane read: a mesh the ambient rules refuse anyway
 * (skew, agents not Helm releases, revisioned agents…) gets that reason and its doc; one they accept
 * gets what runs on its nodes now and the node-by-node order to follow by hand.
 */
import type { DomainError } from '../../result.js';
import type { InstallationView } from '../installation.js';
import { type AmbientDataPlaneView, planAmbient } from './plan.js';

export function ambientRefusal(
  base: DomainError,
  installation: InstallationView | undefined,
  view: AmbientDataPlaneView | undefined,
  plan:
    | { from?: { version: string; revision: string }; to: { version: string; revision: string } }
    | undefined,
  o: { maxMinorSkew?: number } = {},
): DomainError {
  if (base.code !== 'ambient_mesh' || !installation || !view || !plan?.from) return base;
  const revs = installation.revisions;
  const controlPlaneHelm = revs.length > 0 && revs.every((r) => r.installer === 'helm');
  const r = planAmbient(view, {
    from: plan.from,
    to: plan.to,
    controlPlaneHelm,
    ...(o.maxMinorSkew === undefined ? {} : { maxMinorSkew: o.maxMinorSkew }),
  });
  if (!r.ok) return r.error;
  const nodes = r.value.nodeWaves.flatMap((w) => w.nodes);
  const cmds = r.value.commands
    .slice(0, r.value.releases.length)
    .map((c) => c.replace(/ --reset-then-reuse-values.*$/, ' --reset-then-reuse-values'));
  return {
    code: base.code,
    message: `${base.message} Its node agents now: ${r.value.running.join(', ') || 'no pods'}.`,
    hint: `${base.hint ?? ''} By hand, after the control plane: ${cmds.join('; ')}; each DaemonSet then replaces its pods node by node (cordon a node first where long-lived connections matter), and each node's ztunnel pod should run ${plan.to.version} (${nodes.length ? `to move: ${nodes.join(', ')}` : 'every node already runs it'}). Ambient pods need no restart.`.trim(),
  };
}
