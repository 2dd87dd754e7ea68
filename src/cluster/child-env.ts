/**
 * The environment of a child process the bot starts (istioctl, helm): the process environment
 * without the bot's own credentials — Slack tokens and signing secret, the Redis URL with its
 * password, the Prometheus credential files, and the URLs that may carry credentials (ISTIO_HELM_REPO:
 * helm gets those through its own files, src/cluster/helm/chart-access.ts; ISTIOCTL_DOWNLOAD_URL).
 * Neither tool needs them, and a child's environment can be read by anyone who can read /proc of that
 * process.
 */
const BOT_SECRETS = /^(SLACK_|REDIS_|PROMETHEUS_|ISTIO_HELM_REPO$|ISTIOCTL_DOWNLOAD_URL$)/i;

export function childEnv(
  base: NodeJS.ProcessEnv,
  drop: (name: string) => boolean = () => false,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base))
    if (v !== undefined && !BOT_SECRETS.test(k) && !drop(k)) env[k] = v;
  return env;
}
