// Cluster adapters: the real implementations of the engine's cluster ports (src/engine/ports.ts).
export { IstioControlPlane, revisionObjects } from './control-plane.js';
export { Istioctl } from './istioctl/istioctl.js';
export { IstioctlLocator } from './istioctl/locate.js';
export { type IstioctlRunner, runIstioctl } from './istioctl/run.js';
export { IN_CLUSTER, KubeClient } from './kube/client.js';
export { KubeGatewayMover } from './kube/gateways.js';
export { KubeMeshInspector } from './kube/inspector.js';
export { KubeNamespaceMover } from './kube/namespaces.js';
export { type BlockedWorkload, KubeRestarter, RESTARTED_AT } from './kube/restart.js';
export {
  type AdaptersRegistry,
  type ClusterAdapters,
  type ClusterConfig,
  type ClusterRegistryOptions,
  createClusterAdapters,
  createClusterRegistry,
  type ProxyStatusKind,
} from './registry.js';
