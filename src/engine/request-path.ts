/**
 * Which path a request takes (ADR 14, ADR 20): the istioctl canary, the Helm canary, or the Helm
 * canary with the node agents of an ambient mesh moved in node waves — or the exact refusal. Pure
 * over what planning read; the service (service.ts) writes the record.
 */
import type { UpgradeCommand } from '../domain/command/types.js';
import { err, ok, type Result } from '../domain/result.js';
import { type AmbientPlan, acceptAmbient, ambientRefusal } from '../domain/upgrade/ambient/index.js';
import { checkInstallation, type InstallationPlan, requestedTarget } from '../domain/upgrade/installation.js';
import type { PlanOptions, UpgradePlan } from '../domain/upgrade/plan.js';
import type { MeshRead } from './cluster-reads.js';

export interface RequestPath {
  plan: UpgradePlan;
  installation: InstallationPlan;
  ambient?: AmbientPlan;
}

export function requestPath(
  mesh: MeshRead,
  plan: Result<UpgradePlan>,
  command: UpgradeCommand,
  o: PlanOptions['ambient'] = {},
): Result<RequestPath> {
  const target = plan.ok ? plan.value : requestedTarget(command);
  // A mesh the bot cannot upgrade safely (Helm, ambient, a mix) is refused before any other reason.
  const installation = checkInstallation(mesh.installation, target);
  if (!installation.ok) {
    // An ambient mesh installed with Helm whose data plane the ambient rules accept: node waves.
    if (installation.error.code === 'ambient_mesh' && plan.ok) {
      const accepted = acceptAmbient(mesh.installation, mesh.ambient, plan.value, o);
      if (accepted?.ok)
        return ok({
          plan: plan.value,
          installation: accepted.value.installation,
          ambient: accepted.value.ambient,
        });
    }
    return err(
      ambientRefusal(
        installation.error,
        mesh.installation,
        mesh.ambient,
        target,
        o.maxMinorSkew === undefined ? {} : { maxMinorSkew: o.maxMinorSkew },
      ),
    );
  }
  if (!plan.ok) return plan;
  return ok({ plan: plan.value, installation: installation.value });
}
