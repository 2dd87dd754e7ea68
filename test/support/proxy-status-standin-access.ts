// Part of the `istioctl proxy-status` STAND-IN: the Kubernetes API calls the real istioctl makes
// before it can speak xDS to istiod, made with the caller's credentials, so the stand-in is refused
// exactly where the real command would be (e.g. a ServiceAccount without the chart's Role).
// Real istioctl (1.25.3 and 1.31-dev alike), istioctl/pkg/multixds/gather.go queryEachShard:
//   1. list pods app=istiod[,istio.io/rev=R] status.phase=Running in the Istio namespace (the caller);
//   2. xds.DialOptions (istioctl/pkg/xds/client.go) -> pkg/kube/rpc_creds.go: a TokenRequest for the
//      Istio namespace's `default` ServiceAccount, audience `istio-ca`, 3600 s — made here for real;
//   3. per istiod pod, pkg/kube/portforwarder.go: POST pods/<pod>/portforward (SPDY, so RBAC verb
//      `create`) then GET the pod. The port-forward cannot be opened here (KWOK pods run nothing), so
//      the stand-in asks the API server's authorizer the same question (SelfSubjectAccessReview),
//      and GETs the pod for real.
// Errors carry istioctl's wording around the API server's own message.
import * as k8s from '@kubernetes/client-node';

export const TOKEN_SERVICE_ACCOUNT = 'default';
export const TOKEN_AUDIENCES = ['istio-ca'];
export const TOKEN_EXPIRATION_SECONDS = 3600;

/** The API server's message of a failed call (its Status `message`), else the error text. */
function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      // not a Status object
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** Does what istioctl does with the API server before dialling each istiod; throws its error. */
export async function istioctlAccess(
  kc: k8s.KubeConfig,
  istioNamespace: string,
  istiodPods: string[],
): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  try {
    await core.createNamespacedServiceAccountToken({
      name: TOKEN_SERVICE_ACCOUNT,
      namespace: istioNamespace,
      body: { spec: { audiences: TOKEN_AUDIENCES, expirationSeconds: TOKEN_EXPIRATION_SECONDS } },
    });
  } catch (err) {
    throw new Error(
      `failed to create RPC credentials for "${TOKEN_SERVICE_ACCOUNT}.${istioNamespace}": ${apiMessage(err)}`,
    );
  }
  const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
  for (const pod of istiodPods) {
    const review = await authz.createSelfSubjectAccessReview({
      body: {
        spec: {
          resourceAttributes: {
            namespace: istioNamespace,
            verb: 'create',
            resource: 'pods',
            subresource: 'portforward',
            name: pod,
          },
        },
      },
    });
    if (!review.status?.allowed) {
      const authn = kc.makeApiClient(k8s.AuthenticationV1Api);
      const me = await authn.createSelfSubjectReview({ body: {} }).catch(() => undefined);
      const user = me?.status?.userInfo?.username;
      throw new Error(
        `failure running port forward process: building port forwarded: pods "${pod}" is forbidden: ` +
          `User "${user ?? 'unknown'}" cannot create resource "pods/portforward" in API group "" in the ` +
          `namespace "${istioNamespace}"`,
      );
    }
    try {
      await core.readNamespacedPod({ name: pod, namespace: istioNamespace });
    } catch (err) {
      throw new Error(
        `failure running port forward process: building port forwarded: failed retrieving: ${apiMessage(err)} in the "${istioNamespace}" namespace`,
      );
    }
  }
}
