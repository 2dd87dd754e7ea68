import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import type { Policy } from '../domain/policy.js';
import { err, ok, type Result } from '../domain/result.js';
import { crossChecks, envSchema, policySchema } from './schema.js';

type Env = z.infer<typeof envSchema>;

export interface Config extends Omit<Env, 'POLICY_FILE' | 'POLICY_JSON' | 'DEFAULT_CLUSTER'> {
  DEFAULT_CLUSTER: string;
  policy: Policy;
}

function issuesOf(prefix: string, e: z.ZodError): string[] {
  return e.issues.map((i) => `${[prefix, ...i.path].filter((p) => p !== '').join('.')}: ${i.message}`);
}

function loadPolicy(env: Env, readFile: (p: string) => string): Result<Policy, string[]> {
  let text: string;
  let source: string;
  try {
    source = env.POLICY_JSON ? 'POLICY_JSON' : `POLICY_FILE (${env.POLICY_FILE})`;
    text = env.POLICY_JSON ?? readFile(env.POLICY_FILE!);
  } catch (e) {
    return err([
      `POLICY_FILE: cannot read ${env.POLICY_FILE}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err([`${source}: not valid JSON (${(e as Error).message})`]);
  }
  const parsed = policySchema.safeParse(json);
  if (!parsed.success) return err(issuesOf(env.POLICY_JSON ? 'POLICY_JSON' : 'POLICY_FILE', parsed.error));
  const unknown = Object.keys(parsed.data.clusters).filter((c) => !env.CLUSTERS.some((k) => k.name === c));
  if (unknown.length) return err([`POLICY: clusters ${unknown.join(', ')} are not in CLUSTERS`]);
  const blind = Object.entries(parsed.data.clusters)
    .filter(
      ([name, c]) =>
        (c.analysis || Object.keys(c.analyses ?? {}).length > 0) &&
        !env.PROMETHEUS_URL &&
        !env.PROMETHEUS_URLS[name],
    )
    .map(([name]) => name);
  const stray = Object.keys(env.PROMETHEUS_URLS).filter((c) => !env.CLUSTERS.some((k) => k.name === c));
  if (stray.length) return err([`PROMETHEUS_URLS: clusters ${stray.join(', ')} are not in CLUSTERS`]);
  if (blind.length)
    return err([
      `PROMETHEUS_URL: the policy asks for a traffic analysis on ${blind.join(', ')}: set PROMETHEUS_URL, or PROMETHEUS_URLS=${blind[0]}=<url>`,
    ]);
  return ok(parsed.data);
}

/**
 * Reads every setting from the environment in one place. On any problem it returns all of them,
 * each naming its variable, so a bad deploy is fixed in one round.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  readFile: (p: string) => string = (p) => readFileSync(p, 'utf8'),
): Result<Config, string[]> {
  const parsed = envSchema.safeParse(env);
  const problems = [...(parsed.success ? [] : issuesOf('', parsed.error)), ...crossChecks(env)];
  if (!parsed.success || problems.length > 0) return err(problems);
  const policy = loadPolicy(parsed.data, readFile);
  if (!policy.ok) return policy;
  const { POLICY_FILE: _f, POLICY_JSON: _j, ...rest } = parsed.data;
  return ok({
    ...rest,
    DEFAULT_CLUSTER: rest.DEFAULT_CLUSTER ?? rest.CLUSTERS[0]!.name,
    policy: policy.value,
  });
}

export function formatConfigErrors(problems: string[]): string {
  return `istio-upgrade-bot cannot start: ${problems.length} problem(s) in the configuration\n${problems
    .map((p) => `  - ${p}`)
    .join('\n')}\nSee .env.example for every variable and its format.`;
}
