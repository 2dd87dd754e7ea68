/**
 * Loose istioctl version handling: release binaries report `1.24.2`, development builds `1.31-dev`
 * (no patch), image tags may carry a flavour (`1.24.2-distroless`). Only major/minor decide flags.
 */
export interface LooseVersion {
  major: number;
  minor: number;
  patch: number;
  /** Everything after `major.minor[.patch]-`, e.g. `dev`, `beta.1`, `distroless`; '' when absent. */
  suffix: string;
}

const LOOSE = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?$/;

export function parseLooseVersion(text: string): LooseVersion | null {
  const m = LOOSE.exec(text.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), suffix: m[4] ?? '' };
}

/** Orders by major, minor, patch; a pre-release/dev suffix sorts before the release. */
export function compareLoose(a: LooseVersion, b: LooseVersion): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  if (a.suffix === b.suffix) return 0;
  if (a.suffix === '') return 1;
  if (b.suffix === '') return -1;
  return a.suffix < b.suffix ? -1 : 1;
}

/** True when `version` is at least `major.minor` (dev builds of that minor count). */
export function atLeast(version: string, major: number, minor: number): boolean {
  const v = parseLooseVersion(version);
  if (!v) return true; // unknown format: assume a current istioctl
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** Version from an image reference: `docker.io/istio/proxyv2:1.24.2-distroless` → `1.24.2`. */
export function versionFromImage(image: string | undefined | null): string | null {
  if (!image) return null;
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  if (colon <= slash) return null;
  const tag = noDigest.slice(colon + 1);
  return tag.replace(/-(distroless|debug)$/, '') || null;
}
