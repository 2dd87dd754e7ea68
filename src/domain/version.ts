import { type DomainError, err, ok, type Result } from './result.js';

/** An Istio release: `1.24.2`, `1.25.0-beta.1`, or an image tag such as `1.24.2-distroless`. */
export interface IstioVersion {
  major: number;
  minor: number;
  patch: number;
  /** `beta.1`, `rc.0`, `alpha.3` … (null for a release). */
  prerelease: string | null;
  /** Image flavour after the version: `distroless`, `debug` … (null when absent). Not part of ordering. */
  flavor: string | null;
  /** A development build as Istio names them, `1.31-dev` (patch 0, before every 1.31 pre-release). */
  dev?: boolean;
}

export type Move = 'upgrade' | 'downgrade' | 'same';

const VERSION_RE =
  /^v?(\d{1,4})\.(\d{1,4})\.(\d{1,4})(?:-((?:alpha|beta|rc)(?:\.?\d+)?))?(?:-([a-z][a-z0-9]*))?$/;
const DEV_RE = /^v?(\d{1,4})\.(\d{1,4})-dev$/;
const PRERELEASE_ONLY = /^(alpha|beta|rc)\.?(\d+)?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_CANARY_MINOR_JUMP = 2;

const versionError = (input: string): DomainError => ({
  code: 'invalid_version',
  message: `"${input}" is not an Istio version.`,
  hint: 'Write it as MAJOR.MINOR.PATCH, for example `1.24.2` or `1.25.0-beta.1` (or a dev build, `1.31-dev`).',
});

export function parseVersion(input: string): Result<IstioVersion> {
  const dev = DEV_RE.exec(input.trim());
  if (dev) {
    return ok({
      major: Number(dev[1]),
      minor: Number(dev[2]),
      patch: 0,
      prerelease: 'dev',
      flavor: null,
      dev: true,
    });
  }
  const m = VERSION_RE.exec(input.trim());
  if (!m) return err(versionError(input));
  return ok({
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    prerelease: m[4] ?? null,
    flavor: m[5] ?? null,
  });
}

export function formatVersion(v: IstioVersion, withFlavor = false): string {
  if (v.dev) return `${v.major}.${v.minor}-dev`;
  const base = `${v.major}.${v.minor}.${v.patch}${v.prerelease ? `-${v.prerelease}` : ''}`;
  return withFlavor && v.flavor ? `${base}-${v.flavor}` : base;
}

/** The revision name Istio operators use for a version: `1.24.2` → `1-24-2`, `1.25.0-beta.1` → `1-25-0-beta-1`. */
export function revisionFor(v: IstioVersion): string {
  return formatVersion(v).replace(/\./g, '-');
}

/** null when `name` is a valid revision (DNS-1123 label, ≤ 63), else the reason. */
export function validateRevision(name: string): DomainError | null {
  if (name.length === 0 || name.length > 63 || !DNS1123_LABEL.test(name)) {
    return {
      code: 'invalid_revision',
      message: `"${name}" is not a valid revision name.`,
      hint: 'A revision is a DNS-1123 label: lowercase letters, digits and `-`, at most 63 characters, starting and ending with a letter or digit (for example `1-24-2`).',
    };
  }
  if (name === 'default') {
    return {
      code: 'invalid_revision',
      message: '"default" is reserved: it means an install without a revision.',
      hint: 'Leave out --revision to get one derived from the version, e.g. `1-24-2`.',
    };
  }
  return null;
}

function comparePrerelease(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1; // a release sorts after its pre-releases
  if (b === null) return -1;
  const pa = PRERELEASE_ONLY.exec(a);
  const pb = PRERELEASE_ONLY.exec(b);
  if (a === 'dev') return -1; // a dev build precedes the pre-releases of its minor
  if (b === 'dev') return 1;
  const rank = (s: string | undefined) => ['alpha', 'beta', 'rc'].indexOf(s ?? '');
  const byKind = rank(pa?.[1]) - rank(pb?.[1]);
  if (byKind !== 0) return Math.sign(byKind);
  return Math.sign(Number(pa?.[2] ?? 0) - Number(pb?.[2] ?? 0));
}

export function compareVersions(a: IstioVersion, b: IstioVersion): -1 | 0 | 1 {
  const d =
    a.major - b.major ||
    a.minor - b.minor ||
    a.patch - b.patch ||
    comparePrerelease(a.prerelease, b.prerelease);
  return Math.sign(d) as -1 | 0 | 1;
}

export function classifyMove(from: IstioVersion, to: IstioVersion): Move {
  const c = compareVersions(from, to);
  return c < 0 ? 'upgrade' : c > 0 ? 'downgrade' : 'same';
}

/**
 * Canary upgrades may jump at most two minor versions. A refusal says how to get there in steps,
 * each step at most two minors, e.g. 1.20 → 1.22 → 1.24 → 1.25.
 */
export function checkCanarySkew(
  from: IstioVersion,
  to: IstioVersion,
  maxJump: number = MAX_CANARY_MINOR_JUMP,
): Result<Move> {
  const move = classifyMove(from, to);
  if (move === 'same') {
    return err({
      code: 'same_version',
      message: `The mesh already runs ${formatVersion(from)}.`,
      hint: 'Name a different version, or use `/istio status` to see what is running.',
    });
  }
  if (from.major !== to.major) {
    return err({
      code: 'major_jump',
      message: `A move from ${formatVersion(from)} to ${formatVersion(to)} crosses a major version.`,
      hint: 'Canary upgrades are supported within one major version only.',
    });
  }
  const distance = Math.abs(to.minor - from.minor);
  if (distance <= maxJump) return ok(move);
  const dir = move === 'upgrade' ? 1 : -1;
  const steps: string[] = [];
  for (
    let m = from.minor + dir * MAX_CANARY_MINOR_JUMP;
    dir * (to.minor - m) > 0;
    m += dir * MAX_CANARY_MINOR_JUMP
  ) {
    steps.push(`${from.major}.${m}.x`);
  }
  steps.push(formatVersion(to));
  return err({
    code: 'skew_too_large',
    message: `${formatVersion(from)} → ${formatVersion(to)} jumps ${distance} minor versions; a canary ${move} may jump at most ${maxJump}.`,
    hint: `Go in steps: ${formatVersion(from)} → ${steps.join(' → ')} (one /istio upgrade per step, the latest patch of each minor).`,
  });
}

/** A Kubernetes DNS-1123 label check for namespaces and cluster names, with a message naming the value. */
export function validateLabel(kind: 'namespace' | 'cluster', value: string): DomainError | null {
  if (value.length > 0 && value.length <= 63 && DNS1123_LABEL.test(value)) return null;
  const why =
    value.length > 63
      ? `it is ${value.length} characters long (at most 63)`
      : /[A-Z]/.test(value)
        ? 'it contains upper-case letters'
        : value.length === 0
          ? 'it is empty'
          : 'it may contain only lowercase letters, digits and `-`, and must start and end with a letter or digit';
  return {
    code: `invalid_${kind}`,
    message: `${kind === 'namespace' ? 'Namespace' : 'Cluster'} name "${value}" is not valid: ${why}.`,
    hint: `Use the ${kind} name exactly as Kubernetes shows it, e.g. \`${kind === 'namespace' ? 'payments' : 'prod-eu1'}\`.`,
  };
}
