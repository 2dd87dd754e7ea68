// Gateways of the e2e scenarios, shaped as the Helm gateway chart deploys them.
import type * as k8s from '@kubernetes/client-node';
import { waitForDeploymentAvailable } from '../support/cluster-harness.js';
import { api } from './support-scenarios.js';

/**
 * A gateway as the Helm gateway chart (manifests/charts/gateway) deploys it, in its own unlabelled
 * namespace: one `istio-proxy` container with `image: auto`, injection label, `istio.io/rev`, and
 * the `gateway` injection template; the injector (stand-in) fills in the revision's proxy image.
 */
export function gatewayBody(namespace: string, name: string, revision: string): k8s.V1Deployment {
  const selector = { app: name, istio: name.replace(/^istio-/, '') };
  return {
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: {
            'sidecar.istio.io/inject': 'true',
            'istio.io/rev': revision,
            ...selector,
            'app.kubernetes.io/name': name,
          },
          annotations: {
            'prometheus.io/port': '15020',
            'prometheus.io/scrape': 'true',
            'prometheus.io/path': '/stats/prometheus',
            'inject.istio.io/templates': 'gateway',
            'sidecar.istio.io/inject': 'true',
          },
        },
        spec: {
          securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
          containers: [
            {
              name: 'istio-proxy',
              image: 'auto', // "populated at runtime by the mutating webhook" (the chart's comment)
              securityContext: {
                capabilities: { drop: ['ALL'] },
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
              },
              ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
            },
          ],
          terminationGracePeriodSeconds: 0,
        },
      },
    },
  };
}

/** A Helm-chart-shaped gateway Deployment `ingress`; waits until it runs with an injected proxy. */
export async function createGateway(namespace: string, revision: string): Promise<void> {
  const { core, apps } = api();
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await apps.createNamespacedDeployment({ namespace, body: gatewayBody(namespace, 'ingress', revision) });
  await waitForDeploymentAvailable(namespace, 'ingress');
}
