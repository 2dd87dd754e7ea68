// Derives pod, namespace, workload and revision from the names proxy-status prints.

const SAFE = new Uint8Array(128); // Kubernetes' rand/SafeEncodeString alphabet: no vowels, no 0, 1, 3
for (const ch of 'bcdfghjklmnpqrstvwxz2456789') SAFE[ch.charCodeAt(0)] = 1;
const NAME_CHAR = new Uint8Array(128); // object-name characters, upper case and _ tolerated
for (const ch of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.')
  NAME_CHAR[ch.charCodeAt(0)] = 1;

function all(table: Uint8Array, s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || table[c] === 0) return false;
  }
  return true;
}

function digits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return to > from;
}

/**
 * Owning workload from a pod name:
 * Deployment `<name>-<rs-hash>-<5 chars>`, StatefulSet `<name>-<ordinal>`, DaemonSet `<name>-<5 chars>`;
 * anything else (a bare pod) is its own workload.
 */
export function workloadOf(pod: string): string {
  const end = workloadEnd(pod);
  return end === pod.length ? pod : pod.slice(0, end);
}

function isHash(pod: string, from: number, to: number): boolean {
  const n = to - from;
  return n >= 6 && n <= 10 && (all(SAFE, pod, from, to) || digits(pod, from, to));
}

/** Length of the workload name at the start of a pod name (see workloadOf). */
export function workloadEnd(pod: string): number {
  return workloadEndAt(pod, 0, pod.length);
}

/** text[from, to) is all from the random-suffix alphabet (Kubernetes' SafeEncodeString). */
export function safeAt(text: string, from: number, to: number): boolean {
  return all(SAFE, text, from, to);
}

/** Last index of `-` in text[from, to), or -1: bounded, unlike lastIndexOf, which runs to the start. */
export function lastDash(text: string, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if (text.charCodeAt(i) === 45) return i;
  return -1;
}

/** End (absolute) of the workload name of the pod name text[from, to), checked in place (see workloadOf). */
export function workloadEndAt(text: string, from: number, to: number): number {
  const last = lastDash(text, from, to);
  if (last <= from) return to;
  if (to - last - 1 === 5 && all(SAFE, text, last + 1, to)) {
    const prev = lastDash(text, from, last);
    if (prev > from && isHash(text, prev + 1, last)) return prev;
    // an all-digit suffix from the alphabet is ambiguous; the DaemonSet reading wins.
    return last;
  }
  const ordinal = digits(text, last + 1, to) && (to - last === 2 || text.charCodeAt(last + 1) !== 48);
  return ordinal ? last : to;
}

/** `istiod-1-24-2-7f6fc6cfd6-s8zfg` → `1-24-2`; `istiod-85745c747b-knlwb` → `default`; null → `unknown`. */
export function revisionOf(istiod: string | null): string {
  if (istiod === null || istiod === '') return 'unknown';
  const w = workloadOf(istiod);
  if (w.startsWith('istiod-') && w.length > 'istiod-'.length) return w.slice('istiod-'.length);
  return 'default';
}

// Kubernetes object names (DNS subdomain for pods, label for namespaces), upper case and _ tolerated:
// [A-Za-z0-9] at both ends, [-A-Za-z0-9_] (and . in pod names) between. Checked in place with
// character tables rather than regexes: these run once per row, and cut no string.
const LABEL_CHAR = new Uint8Array(128);
for (const ch of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_')
  LABEL_CHAR[ch.charCodeAt(0)] = 1;

function alnumEnds(text: string, from: number, to: number): boolean {
  const first = text.charCodeAt(from);
  const last = text.charCodeAt(to - 1);
  return first !== 45 && first !== 95 && first !== 46 && last !== 45 && last !== 95 && last !== 46;
}

/** text[from, to) is a namespace name (checked in place, no cut). */
export function validNamespace(text: string, from: number, to: number): boolean {
  return to > from && all(LABEL_CHAR, text, from, to) && alnumEnds(text, from, to);
}

/** text[from, to) is a pod name (checked in place, no cut). */
export function validPod(text: string, from: number, to: number): boolean {
  return to > from && all(NAME_CHAR, text, from, to) && alnumEnds(text, from, to);
}

/** s is a Kubernetes object name (dots allowed for pods, not for namespaces). */
export function validName(s: string, dots: boolean): boolean {
  return (dots ? validPod : validNamespace)(s, 0, s.length);
}

/** Splits a proxy id `pod.namespace` at the last dot (pod names may contain dots, namespaces cannot). */
export function splitProxyId(id: string): { pod: string; namespace: string } | null {
  const dot = id.lastIndexOf('.');
  if (dot <= 0 || dot === id.length - 1) return null;
  const pod = id.slice(0, dot);
  const namespace = id.slice(dot + 1);
  if (!validName(pod, true) || !validName(namespace, false)) return null;
  return { pod, namespace };
}
