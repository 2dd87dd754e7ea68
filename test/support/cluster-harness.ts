// Test API for the e2e cluster (test/cluster/*.sh): where things are, whether the cluster can run,
// and helpers to drive kubectl/istioctl and wait for conditions. Paths come from
// `bash test/cluster/env.sh --json`, so the scripts and the tests cannot disagree.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPTS = join(REPO_ROOT, 'test', 'cluster');

export interface ClusterEnv {
  /** The checkout the scripts belong to (symlinks resolved). */
  checkout: string;
  /** Built binaries, shared by every checkout. */
  cacheDir: string;
  /** This checkout's running cluster (`<cacheDir>/run-<dir>-<hash of checkout>`, or CLUSTER_STATE). */
  stateDir: string;
  clusterName: string;
  /** Path of the go binary, '' when Go is not installed. */
  go: string;
  kubernetesVersion: string;
  kubeconfig: string;
  kubectl: string;
  binaries: string[];
  istio: { version: string; istioctl: string; wrapper: string }[];
}

let cached: ClusterEnv | undefined;

export function clusterEnv(): ClusterEnv {
  if (!cached) {
    const out = execFileSync('bash', [join(SCRIPTS, 'env.sh'), '--json'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    cached = JSON.parse(out) as ClusterEnv;
  }
  return cached;
}

export interface ClusterStatus {
  /** Binaries built: the cluster can be started (up.sh) and the suite can run. */
  available: boolean;
  /** Why not, in one sentence with what to do; '' when available. */
  reason: string;
  goFound: boolean;
  missing: string[];
  /** A cluster is running (its kubeconfig exists); `up.sh` checks health itself. */
  running: boolean;
}

export function clusterStatus(): ClusterStatus {
  const env = clusterEnv();
  const missing = env.binaries.filter((b) => !existsSync(b));
  const goFound = env.go !== '';
  const running = existsSync(env.kubeconfig);
  if (missing.length === 0) return { available: true, reason: '', goFound, missing, running };
  const reason = goFound
    ? `${missing.length} cluster binaries are not built yet (e.g. ${missing[0]}): run 'bash test/cluster/build.sh' (about 30 min cold, seconds when cached)`
    : 'Go is not installed (looked on PATH and in /usr/local/go/bin): the cluster binaries are built from Go modules';
  return { available: false, reason, goFound, missing, running };
}

export const kubeconfigPath = (): string => clusterEnv().kubeconfig;
export const kubectlPath = (): string => clusterEnv().kubectl;
export const istioVersions = (): string[] => clusterEnv().istio.map((i) => i.version);

function istioEntry(version: string) {
  const e = clusterEnv().istio.find((i) => i.version === version);
  if (!e) throw new Error(`istioctl ${version} is not one of ${istioVersions().join(', ')}`);
  return e;
}

/** The real istioctl binary of this version (its `ps` needs running proxies: use the wrapper). */
export const istioctlPath = (version: string): string => istioEntry(version).istioctl;
/** The real istioctl, except `ps`/`proxy-status`, answered by the proxy-status stand-in. */
export const istioctlWrapperPath = (version: string): string => istioEntry(version).wrapper;
/** The revision name the tests install a version under: "1.25.3" -> "1-25-3". */
export const revisionOf = (version: string): string => version.replaceAll('.', '-');

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs argv (no shell) with KUBECONFIG set; never throws on a non-zero exit, only on timeout. */
export async function run(file: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  const r = await execa(file, args, {
    env: { KUBECONFIG: kubeconfigPath() },
    timeout: timeoutMs,
    reject: false,
    stdin: 'ignore',
  });
  if (r.timedOut) throw new Error(`timed out after ${timeoutMs} ms: ${file} ${args.join(' ')}`);
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
}

/** Like run, but throws with stdout/stderr when the exit code is not 0. */
export async function runOk(file: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  const r = await run(file, args, timeoutMs);
  if (r.exitCode !== 0) {
    throw new Error(
      `exit ${r.exitCode}: ${file} ${args.join(' ')}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return r;
}

export const kubectl = (args: string[], timeoutMs?: number) => runOk(kubectlPath(), args, timeoutMs);
export const istioctl = (version: string, args: string[], timeoutMs?: number) =>
  runOk(istioctlWrapperPath(version), args, timeoutMs);

export function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return kc;
}

/** Starts the cluster (builds first; seconds when cached and already up). */
export async function clusterUp(timeoutMs = 600_000): Promise<void> {
  const r = await execa('bash', [join(SCRIPTS, 'up.sh')], { timeout: timeoutMs, reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`test/cluster/up.sh failed (exit ${r.exitCode}):\n${r.all ?? ''}`);
}

export async function clusterDown(timeoutMs = 180_000): Promise<void> {
  const r = await execa('bash', [join(SCRIPTS, 'down.sh')], { timeout: timeoutMs, reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`test/cluster/down.sh failed (exit ${r.exitCode}):\n${r.all ?? ''}`);
}

/** Polls `check` until it returns a value other than undefined/false, or throws after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until every Istio injector/validator webhook points at the injector stand-in. */
export async function waitForWebhooksOnStandin(timeoutMs = 30_000): Promise<void> {
  const api = kubeConfig().makeApiClient(k8s.AdmissionregistrationV1Api);
  await waitFor(
    'Istio webhooks pointed at the injector stand-in',
    async () => {
      const m = await api.listMutatingWebhookConfiguration();
      const v = await api.listValidatingWebhookConfiguration();
      const istio = [...m.items, ...v.items].filter((c) => /^istio/.test(c.metadata?.name ?? ''));
      return istio.every((c) =>
        (c.webhooks ?? []).every((w) => w.clientConfig.url?.startsWith('https://127.0.0.1:')),
      );
    },
    timeoutMs,
  );
}

/** Waits for a Deployment to report the Available condition. */
export async function waitForDeploymentAvailable(namespace: string, name: string, timeoutMs = 120_000) {
  const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
  return waitFor(
    `deployment ${namespace}/${name} available`,
    async () => {
      const d = await apps.readNamespacedDeployment({ name, namespace });
      return d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ? d : undefined;
    },
    timeoutMs,
  );
}

/** The loud notice printed when the cluster suite cannot run. */
export function notRunBanner(reason: string): string {
  const line = '!'.repeat(78);
  return [
    line,
    '!!  THE CLUSTER (e2e) SUITE DID NOT RUN',
    `!!  ${reason}`,
    '!!  The bot was NOT proven against a real kube-apiserver and real istioctl.',
    '!!  In CI (CI set to anything but false/0) a missing prerequisite fails the run.',
    line,
  ].join('\n');
}
