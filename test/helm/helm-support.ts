// The chart tests' access to helm (built from Go modules by test/cluster/build-helm.sh and cached
// beside the cluster binaries) and to the chart's rendered manifests.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadYaml } from '@kubernetes/client-node';
import { execa } from 'execa';
import { isCI } from '../support/ci.js';
import { clusterEnv, notRunBanner, REPO_ROOT } from '../support/cluster-harness.js';

export const HELM_VERSION = process.env.HELM_VERSION ?? 'v3.21.4';
export const CHART = join(REPO_ROOT, 'helm', 'istio-upgrade-bot');
export const CI_VALUES = join(CHART, 'ci', 'default-values.yaml');
export const SPLIT_VALUES = join(CHART, 'ci', 'split-values.yaml');

export const helmPath = (): string => join(clusterEnv().cacheDir, `helm-${HELM_VERSION}`, 'helm');

export interface HelmGate {
  run: boolean;
  reason: string;
}

/** helm built? If not: a loud notice, and in CI (CI set, not false/0) a thrown error (the run fails). */
export function helmGate(what: string): HelmGate {
  if (existsSync(helmPath())) return { run: true, reason: '' };
  const reason = `helm ${HELM_VERSION} is not built (no ${helmPath()}): run 'bash test/cluster/build-helm.sh' (about 8 min cold on 2 cores)`;
  console.warn(
    `\n${notRunBanner(`${what}: ${reason}`).replace('CLUSTER (e2e) SUITE', 'HELM CHART SUITE')}\n`,
  );
  if (isCI()) throw new Error(`${what} cannot run: ${reason}`);
  return { run: false, reason };
}

export interface HelmResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export async function helm(args: string[]): Promise<HelmResult> {
  const r = await execa(helmPath(), args, { reject: false, timeout: 60_000, stdin: 'ignore' });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

/** `helm template` → the manifests text (throws with helm's message on failure). */
export async function renderText(release: string, namespace: string, args: string[]): Promise<string> {
  const r = await helm(['template', release, CHART, '--namespace', namespace, ...args]);
  if (r.exitCode !== 0) throw new Error(`helm template failed (exit ${r.exitCode}):\n${r.stderr}`);
  return r.stdout;
}

export async function render(release: string, namespace: string, args: string[]): Promise<K8sObject[]> {
  return splitDocuments(await renderText(release, namespace, args)).map((d) => loadYaml<K8sObject>(d));
}

/** The YAML documents of a multi-document stream that hold something besides comments. */
export function splitDocuments(text: string): string[] {
  return text
    .split(/^---[ \t]*$/m)
    .filter((d) => d.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('#')));
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

export const rulesOf = (o: K8sObject): PolicyRule[] => (o.rules as PolicyRule[] | undefined) ?? [];
