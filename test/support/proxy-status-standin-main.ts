// CLI of the `istioctl proxy-status` STAND-IN (see proxy-status-standin.ts). The istioctl wrapper
// written by test/cluster/up.sh runs it for `ps`/`proxy-status` and runs the real istioctl for
// everything else:
//   node --import tsx test/support/proxy-status-standin-main.ts --istioctl-version 1.25.3 -- <istioctl args>
// Reads pods through the Kubernetes API (KUBECONFIG or --kubeconfig), makes the API calls the real
// istioctl makes before dialling istiod (token request, port-forward: proxy-status-standin-access.ts)
// and prints what that istioctl version would print; errors go to stderr as `Error: ...` with exit
// code 1, like cobra.
import * as k8s from '@kubernetes/client-node';
import {
  atLeast,
  connectedProxies,
  ISTIO_NAMESPACE,
  renderJson,
  renderTable,
  type StandinPod,
} from './proxy-status-standin.js';
import { istioctlAccess } from './proxy-status-standin-access.js';

interface PsArgs {
  kubeconfig?: string;
  revision?: string;
  istioNamespace: string;
  namespace?: string;
  output: string;
  positional: string[];
}

class UsageError extends Error {}

function parsePsArgs(argv: string[], version: string): PsArgs {
  const out: PsArgs = { istioNamespace: ISTIO_NAMESPACE, output: 'table', positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`flag needs an argument: ${flag}`);
      return v;
    };
    switch (flag) {
      case 'ps':
      case 'proxy-status':
        break;
      case '--kubeconfig':
      case '-c':
        out.kubeconfig = value();
        break;
      case '--context':
        value();
        break;
      case '-r':
      case '--revision':
        out.revision = value();
        break;
      case '-i':
      case '--istioNamespace':
      case '--istio-namespace':
        out.istioNamespace = value();
        break;
      case '-n':
      case '--namespace':
        out.namespace = value();
        break;
      case '-o':
      case '--output':
        if (!atLeast(version, 27)) {
          throw new UsageError(flag === '-o' ? `unknown shorthand flag: 'o' in -o` : `unknown flag: ${flag}`);
        }
        out.output = value();
        break;
      default:
        if (a.startsWith('-')) throw new UsageError(`proxy-status stand-in does not support flag ${a}`);
        out.positional.push(a);
    }
  }
  return out;
}

async function defaultRevision(kc: k8s.KubeConfig): Promise<string> {
  const api = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  try {
    const mwc = await api.readMutatingWebhookConfiguration({ name: 'istio-revision-tag-default' });
    return mwc.metadata?.labels?.['istio.io/rev'] || 'default';
  } catch {
    return 'default';
  }
}

async function runProxyStatusStandin(version: string, argv: string[]): Promise<string> {
  const args = parsePsArgs(argv, version);
  if (args.positional.length > 0) throw new UsageError('proxy-status stand-in does not compare a single pod');
  const kc = new k8s.KubeConfig();
  if (args.kubeconfig) kc.loadFromFile(args.kubeconfig);
  else kc.loadFromDefault();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let revision = args.revision;
  if (!revision && atLeast(version, 28)) revision = await defaultRevision(kc);
  const selector = revision ? `app=istiod,istio.io/rev=${revision}` : 'app=istiod';
  const istiods = await core.listNamespacedPod({
    namespace: args.istioNamespace,
    labelSelector: selector,
    fieldSelector: 'status.phase=Running',
  });
  if (istiods.items.length === 0) throw new Error(`no running Istio pods in "${args.istioNamespace}"`);
  // the token request and port-forwards the real istioctl makes, with the caller's credentials
  await istioctlAccess(
    kc,
    args.istioNamespace,
    istiods.items.map((p) => p.metadata?.name ?? ''),
  );
  const all = await core.listPodForAllNamespaces({});
  const now = new Date();
  let rows = connectedProxies(istiods.items as StandinPod[], all.items as StandinPod[], now);
  if (args.namespace) rows = rows.filter((r) => r.namespace === args.namespace);
  if (!['table', 'json', 'yaml'].includes(args.output)) {
    throw new Error(`output format "${args.output}" not supported`);
  }
  // 1.27-1.29 accept -o and ignore it (table); 1.30+ print JSON (yaml: not in this stand-in)
  if (args.output === 'json' && atLeast(version, 30))
    return renderJson(rows, istiods.items as StandinPod[], now);
  if (args.output === 'yaml' && atLeast(version, 30))
    throw new Error('proxy-status stand-in does not print yaml');
  return renderTable(version, rows, now);
}

const sep = process.argv.indexOf('--');
const vIdx = process.argv.indexOf('--istioctl-version');
const version = vIdx > 0 ? process.argv[vIdx + 1] : undefined;
if (!version || sep < 0) {
  console.error('usage: proxy-status-standin-main.ts --istioctl-version <v> -- <istioctl args>');
  process.exit(2);
}
try {
  process.stdout.write(await runProxyStatusStandin(version, process.argv.slice(sep + 1)));
} catch (err) {
  process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
