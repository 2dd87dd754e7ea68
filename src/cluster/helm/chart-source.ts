/**
 * Where the Istio charts come from (`ISTIO_HELM_REPO`) and how helm is pointed at them (pure,
 * table-tested): a chart repository or an OCI registry, optionally with credentials. Credentials never
 * reach helm's argv: a repository's go in the bot's own repositories.yaml (`<name>/<chart>`), an OCI
 * registry's password through `helm registry login --password-stdin`; both files live in helm's
 * isolated config home (src/cluster/helm/run.ts). Every text shown or logged names the source by
 * `describeChartSource` and is passed through `redact`.
 */

/** Credentials of a private chart source, taken out of `ISTIO_HELM_REPO`'s URL (`https://user:pass@…`).
 * They never go on helm's argv: a repository's go in the bot's own repositories.yaml, an OCI
 * registry's password through `helm registry login --password-stdin` (src/cluster/helm/chart-access.ts). */
export interface ChartCredentials {
  username: string;
  password: string;
}

/** Where the Istio charts come from: a chart repository (`--repo URL`) or an OCI registry path; `url`
 * and `base` never hold credentials. */
export type ChartSource =
  | { kind: 'repo'; url: string; auth?: ChartCredentials }
  | { kind: 'oci'; base: string; auth?: ChartCredentials };

/** The official location (istio.io, 2026): https://blob.istio.io/istio-release/charts (or OCI
 * oci://ghcr.io/istio/release/charts). */
export const DEFAULT_ISTIO_HELM_REPO = 'https://blob.istio.io/istio-release/charts';

/** The name of the repository with credentials in the bot's own repositories.yaml (`<name>/istiod`). */
export const CHART_REPO_NAME = 'istio-upgrade-bot-charts';

/** `text` without its userinfo, and the userinfo; null when it is not a URL, or has a user without a
 * password (or a password without a user), or what is there cannot be decoded. */
function splitCredentials(text: string): { url: string; auth?: ChartCredentials } | null {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return null;
  }
  if (u.username === '' && u.password === '') return { url: text };
  if (u.username === '' || u.password === '') return null;
  let auth: ChartCredentials;
  try {
    auth = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  } catch {
    return null;
  }
  u.username = '';
  u.password = '';
  return { url: u.href.replace(/\/+$/, ''), auth };
}

/** `ISTIO_HELM_REPO`: an http(s) chart repository or an `oci://` reference, each optionally with
 * `user:password@` (taken out into `auth`); null when neither. */
export function parseChartSource(text: string): ChartSource | null {
  const split = splitCredentials(text.trim().replace(/\/+$/, ''));
  if (!split) return null;
  const { url: s, auth } = split;
  const withAuth = auth ? { auth } : {};
  if (/^oci:\/\/[^/\s@]+\/\S+$/.test(s)) return { kind: 'oci', base: s, ...withAuth };
  const u = new URL(s);
  if ((u.protocol === 'https:' || u.protocol === 'http:') && u.hostname)
    return { kind: 'repo', url: s, ...withAuth };
  return null;
}

/** The chart source for messages and logs: its location, never its credentials. */
export const describeChartSource = (src: ChartSource): string => (src.kind === 'oci' ? src.base : src.url);

/** Each credential as helm or a server might print it (plain and URL-encoded), for scrubbing. */
export function credentialTexts(src: ChartSource): string[] {
  if (!src.auth) return [];
  const { username, password } = src.auth;
  const out = new Set([password, encodeURIComponent(password), `${username}:${password}`]);
  out.add(Buffer.from(`${username}:${password}`).toString('base64'));
  return [...out].filter((t) => t.length >= 3);
}

/** `text` with every one of `secrets` replaced by `[Redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('[Redacted]');
  return out;
}

/** `ztunnel` and `cni` (istio-cni): the ambient node agents' charts (src/cluster/ambient, ADR 20). */
export type IstioChart = 'base' | 'istiod' | 'gateway' | 'ztunnel' | 'cni';

/** The chart at exactly `version`: `istiod --repo URL --version V`, `oci://…/istiod --version V`, or
 * for a repository with credentials `istio-upgrade-bot-charts/istiod --version V` (the bot's own
 * repositories.yaml holds its URL and credentials: `--repo` would need them on the command line). */
export function chartArgs(src: ChartSource, chart: IstioChart, version: string): string[] {
  if (src.kind === 'oci') return [`${src.base}/${chart}`, '--version', version];
  if (src.auth) return [`${CHART_REPO_NAME}/${chart}`, '--version', version];
  return [chart, '--repo', src.url, '--version', version];
}

/** The bot's repositories.yaml (JSON is YAML) for a repository with credentials: helm's `repo.File`
 * with one entry; `pass_credentials_all` off, so a chart served from another host gets none. */
export function repositoriesFile(src: ChartSource & { kind: 'repo' }): string {
  return `${JSON.stringify(
    {
      apiVersion: '',
      repositories: [
        {
          name: CHART_REPO_NAME,
          url: src.url,
          username: src.auth?.username ?? '',
          password: src.auth?.password ?? '',
          pass_credentials_all: false,
        },
      ],
    },
    null,
    2,
  )}\n`;
}

/** `helm repo update <name>`: the repository's index, fetched with the credentials of repositories.yaml. */
export const repoUpdateArgs = (): string[] => ['repo', 'update', CHART_REPO_NAME];

/** What `helm repo update` prints (on stdout, exit 0 in helm 3) when a repository could not be read. */
export const repoUpdateFailed = (stdout: string): string | null =>
  /\.\.\.Unable to get an update from[^\n]*(?:\n\t[^\n]*)?/.exec(stdout)?.[0]?.replace(/^\.\.\./, '') ?? null;

/** `helm registry login <host> --username U --password-stdin`: the password on stdin, never argv. */
export function registryLoginArgs(src: ChartSource & { kind: 'oci' }): string[] {
  const host = src.base.replace(/^oci:\/\//, '').split('/')[0]!;
  return ['registry', 'login', host, '--username', src.auth?.username ?? '', '--password-stdin'];
}
