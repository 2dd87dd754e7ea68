/**
 * istioctl argument building (pure, table-tested): which flags each istioctl version needs.
 * Sources: istioctl/pkg/{tag,precheck,proxystatus}, operator/cmd/mesh at the release tags.
 */
import { atLeast } from './version.js';

/** Flags that point istioctl at a cluster; empty for in-cluster (client-go falls back to the pod's SA). */
export interface Target {
  kubeconfig?: string;
  context?: string;
  istioNamespace?: string;
}

export function targetArgs(t: Target): string[] {
  const out: string[] = [];
  if (t.kubeconfig) out.push('--kubeconfig', t.kubeconfig);
  if (t.context) out.push('--context', t.context);
  if (t.istioNamespace && t.istioNamespace !== 'istio-system') out.push('--istioNamespace', t.istioNamespace);
  return out;
}

export const versionArgs = (): string[] => ['version', '--remote=false'];

/** `x precheck -o json`: `-o` exists from 1.20; older versions print log output only. */
export function precheckArgs(version: string): string[] {
  return atLeast(version, 1, 20) ? ['x', 'precheck', '-o', 'json'] : ['x', 'precheck'];
}

/** `install --set revision=R -y [-f overlay]`; the revision `default` means an install without a revision. */
export function installArgs(revision: string, overlay?: string): string[] {
  const args = ['install'];
  if (revision !== 'default') args.push('--set', `revision=${revision}`);
  args.push('-y');
  if (overlay) args.push('-f', overlay);
  return args;
}

/** `uninstall --revision R -y` (top level since 1.15, `x uninstall` before). */
export function uninstallArgs(version: string, revision: string): string[] {
  const base = atLeast(version, 1, 15) ? ['uninstall'] : ['x', 'uninstall'];
  return [...base, '--revision', revision, '-y'];
}

/** `-y` skips the conflict prompt (without it, a closed stdin answers "no" and nothing is applied). */
export const tagSetArgs = (tag: string, revision: string): string[] => [
  'tag',
  'set',
  tag,
  '--revision',
  revision,
  '--overwrite',
  '-y',
];
export const tagRemoveArgs = (tag: string): string[] => ['tag', 'remove', tag, '-y'];
export const tagListArgs = (): string[] => ['tag', 'list', '-o', 'json'];

/**
 * The proxy-status calls that cover `revisions` with one istioctl version:
 * - before 1.28 one call without `--revision` reaches every istiod;
 * - from 1.28 a call without `--revision` reaches the default revision only: one call per revision;
 * - from 1.30 `-o json` works (sync state per type; the 1.27+ table has none).
 */
export function proxyStatusCalls(version: string, revisions: string[]): string[][] {
  if (!atLeast(version, 1, 28)) return [['proxy-status']];
  const json = atLeast(version, 1, 30) ? ['-o', 'json'] : [];
  return revisions.map((r) => ['proxy-status', '--revision', r, ...json]);
}

export interface TagListEntry {
  tag: string;
  revision: string;
  namespaces: string[];
}

/** `tag list -o json`; the "No Istio revision tag ..." line (no tags at all) is an empty list. */
export function parseTagList(stdout: string): TagListEntry[] | null {
  const text = stdout.trim();
  if (text === '' || text.startsWith('No Istio revision tag')) return [];
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return null;
    return v.map((e: Record<string, unknown>) => ({
      tag: String(e.tag ?? ''),
      revision: String(e.revision ?? ''),
      namespaces: Array.isArray(e.namespaces) ? e.namespaces.map(String) : [],
    }));
  } catch {
    return null;
  }
}

export interface PrecheckMessage {
  code: string;
  level: 'Info' | 'Warning' | 'Error';
  message: string;
}

/** `x precheck -o json` stdout: empty (no issues) or a JSON array of analysis messages. */
export function parsePrecheck(stdout: string): PrecheckMessage[] | null {
  const text = stdout.trim();
  if (text === '') return [];
  const start = text.indexOf('[');
  if (start < 0) return null;
  try {
    const v = JSON.parse(text.slice(start)) as unknown;
    if (!Array.isArray(v)) return null;
    return v.map((m: Record<string, unknown>) => {
      const level = String(m.level ?? 'Error');
      return {
        code: String(m.code ?? ''),
        level: level === 'Info' || level === 'Warning' ? level : 'Error',
        message: String(m.message ?? ''),
      };
    });
  } catch {
    return null;
  }
}
