/**
 * Points namespaces at a revision, a tag, or plain `istio-injection=enabled` with one merge patch of
 * the labels (setting the desired state, so a retry converges). `istio-injection` takes precedence over
 * `istio.io/rev`, so pointing at a revision or tag removes it (null in a merge patch).
 */

import type { NamespaceTarget } from '../../domain/upgrade/record.js';
import type { NamespaceMover } from '../../engine/ports.js';
import { type KubeClient, mergePatch } from './client.js';

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

  /** A merge patch that sets the labels: idempotent, so transient faults are retried. */
  async point(namespace: string, target: NamespaceTarget, signal?: AbortSignal): Promise<void> {
    await this.client.request(
      `label Namespace ${namespace}`,
      (o) =>
        this.client.core.patchNamespace(
          { name: namespace, body: { metadata: { labels: labelPatch(target) } } },
          mergePatch(o),
        ),
      { signal },
    );
  }
}
