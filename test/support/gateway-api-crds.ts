// The REAL Gateway API CRDs for the test cluster: `config/crd/standard` of the sigs.k8s.io/gateway-api
// module the newest test Istio version requires (its go.mod), from the Go module cache the cluster
// build fills (`npm run cluster:build`: istioctl is built from istio.io/istio, which needs it).
// Installed as the Gateway API docs say (`kubectl apply --server-side`), removed the same way.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterEnv, kubectlPath, run, runOk, waitFor } from './cluster-harness.js';

const semver = (v: string) => v.replace(/^v/, '').split(/[.-]/).slice(0, 3).map(Number);
const newer = (a: string, b: string) => {
  const [x, y] = [semver(a), semver(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

/** `{version, dir}` of the CRDs; throws saying how to get them when the module is not in the cache. */
export function gatewayApiCrds(): { version: string; dir: string } {
  const mod = join(clusterEnv().cacheDir, '_go', 'mod');
  const istios = existsSync(join(mod, 'istio.io'))
    ? readdirSync(join(mod, 'istio.io')).filter((d) => d.startsWith('istio@'))
    : [];
  let version = '';
  for (const d of istios) {
    const goMod = join(mod, 'istio.io', d, 'go.mod');
    if (!existsSync(goMod)) continue;
    const m = /^\s*sigs\.k8s\.io\/gateway-api (v\S+)/m.exec(readFileSync(goMod, 'utf8'));
    if (m?.[1] && (version === '' || newer(m[1], version))) version = m[1];
  }
  const dir = join(mod, 'sigs.k8s.io', `gateway-api@${version}`, 'config', 'crd', 'standard');
  if (version === '' || !existsSync(dir))
    throw new Error(
      `the Gateway API CRDs are not in the Go module cache (${dir}): run \`npm run cluster:build\` (it fetches istio.io/istio and its sigs.k8s.io/gateway-api)`,
    );
  return { version, dir };
}

/** Installs them (server-side apply, as the Gateway API docs say) and waits until Established. */
export async function installGatewayApiCrds(): Promise<string> {
  const { version, dir } = gatewayApiCrds();
  await runOk(kubectlPath(), ['apply', '--server-side', '-f', dir], 120_000);
  await runOk(kubectlPath(), [
    'wait',
    '--for=condition=Established',
    'crd/gateways.gateway.networking.k8s.io',
    'crd/gatewayclasses.gateway.networking.k8s.io',
    '--timeout=60s',
  ]);
  return version;
}

/** Removes them again (a fresh cluster has none) and waits until the Gateway CRD is gone. */
export async function removeGatewayApiCrds(): Promise<void> {
  const { dir } = gatewayApiCrds();
  await run(kubectlPath(), ['delete', '--ignore-not-found', '--wait=false', '-f', dir], 120_000);
  await waitFor(
    'Gateway API CRDs gone',
    async () =>
      (await run(kubectlPath(), ['get', 'crd', 'gateways.gateway.networking.k8s.io'])).exitCode !== 0,
    120_000,
  );
}
