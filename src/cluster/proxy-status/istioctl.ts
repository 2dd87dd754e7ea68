/**
 * proxy-status from istioctl (the default source). One istioctl version answers for all revisions,
 * so no proxy is listed twice (before 1.28 one call reaches every istiod; from 1.28 one call per
 * revision): the newest version among the revisions' control planes that is installed locally, else
 * the newest istioctl present.
 */
import type { ProxyStatusSource } from '../../engine/ports.js';
import { CodedError, ErrorCode } from '../../errors.js';
import type { Istioctl } from '../istioctl/istioctl.js';
import type { IstioctlLocator } from '../istioctl/locate.js';
import type { KubeMeshInspector } from '../kube/inspector.js';

export class IstioctlProxyStatus implements ProxyStatusSource {
  constructor(
    private readonly istioctl: Istioctl,
    private readonly locator: IstioctlLocator,
    private readonly inspector: KubeMeshInspector,
  ) {}

  async capture(revisions: string[], signal?: AbortSignal): Promise<string[]> {
    if (revisions.length === 0) return [];
    const byVersion = await versionsFor(revisions, this.inspector, this.locator, signal);
    const version = [...byVersion.keys()].pop();
    if (!version) {
      throw new CodedError(
        ErrorCode.IstioctlMissing,
        `no istioctl in ISTIOCTL_DIR to run proxy-status with`,
        {
          revisions,
        },
      );
    }
    return this.istioctl.proxyStatus(version, revisions, signal);
  }
}

/**
 * The istioctl version for each revision: its control plane's version when installed locally, else the
 * newest one present. Keys come out oldest first.
 */
export async function versionsFor(
  revisions: string[],
  inspector: KubeMeshInspector,
  locator: IstioctlLocator,
  signal?: AbortSignal,
): Promise<Map<string, string[]>> {
  const [planes, local] = await Promise.all([inspector.controlPlanes(signal), locator.available()]);
  const newest = local[local.length - 1];
  const found = new Map<string, string[]>();
  for (const rev of revisions) {
    const v = planes.find((p) => p.revision === rev)?.version;
    const use = v && local.includes(v) ? v : (newest ?? v);
    if (!use) continue;
    found.set(use, [...(found.get(use) ?? []), rev]);
  }
  const order = (v: string) => (local.includes(v) ? local.indexOf(v) : -1);
  return new Map([...found.entries()].sort((a, b) => order(a[0]) - order(b[0])));
}
