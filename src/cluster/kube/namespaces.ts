/**
 * Points namespaces at a revision, a tag, or plain `istio-injection=enabled` with one merge patch of
 * the labels (setting the desired state, so a retry converges). `istio-injection` takes precedence over
 * `istio.io/rev`, so pointing at a revision or tag removes it (null in a merge patch).
 */

import type { NamespaceTarget } from '../../domain/upgrade/record.js';
import type { NamespaceMover } from '../../engine/ports.js';
import { type KubeClient, MERGE_PATCH } from './client.js';

export const REV_LABEL = 'istio.io/rev';
export const INJECTION_LABEL = 'istio-injection';

/** The label patch for a target (pure). */
export function labelPatch(target: NamespaceTarget): Record<string, string | null> {
  if ('revision' in target) return { [REV_LABEL]: target.revision, [INJECTION_LABEL]: null };
  if ('tag' in target) return { [REV_LABEL]: target.tag, [INJECTION_LABEL]: null };
  return { [INJECTION_LABEL]: target.injection, [REV_LABEL]: null };
}

export class KubeNamespaceMover implements NamespaceMover {
  constructor(private readonly client: KubeClient) {}

  async point(namespace: string, target: NamespaceTarget): Promise<void> {
    await this.client.call(`label Namespace ${namespace}`, () =>
      this.client.core.patchNamespace(
        { name: namespace, body: { metadata: { labels: labelPatch(target) } } },
        MERGE_PATCH,
      ),
    );
  }
}
