/**
 * Test glue for the edge scenarios of issue 11 (test/e2e/scenarios-8-*.e2e.ts): istioctl directories
 * of wrappers (slow install, or direct to the apiserver), the slow wrapper's install log, a log tap on
 * a bot, a dedicated real redis-server (AOF everysec) that can be SIGKILLed and started again on the
 * same port and dir, and reads of the cluster to assert on (resourceVersions, restart history).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { api } from '../e2e/support-scenarios.js';
import { istioctlWrapperPath, istioVersions, REPO_ROOT } from './cluster-harness.js';
import { waitUntil } from './engine-harness.js';

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

// ------------------------------------------------------------------------------------ istioctl dirs

/**
 * A directory for the bot's ISTIOCTL_DIR where `istioctl-<slowVersion>` is test/support/istioctl-slow.sh
 * in front of the harness's wrapper of that version, and every other version is the harness's wrapper.
 * The wrapper is configured through the process environment (set by `slowEnv`).
 */
export function slowIstioctlDir(slowVersion: string): { dir: string; log: string; pidfile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'iub-slow-istioctl-'));
  for (const v of istioVersions())
    symlinkSync(
      v === slowVersion ? join(REPO_ROOT, 'test/support/istioctl-slow.sh') : istioctlWrapperPath(v),
      join(dir, `istioctl-${v}`),
    );
  process.env.ISTIOCTL_REAL = istioctlWrapperPath(slowVersion);
  return { dir, log: join(dir, 'installs.log'), pidfile: join(dir, 'install.pid') };
}

/** How the slow install behaves from now on (the bots of the test process run istioctl with this env). */
export function slowEnv(o: { seconds: number; when: 'before' | 'after'; log: string; pidfile: string }) {
  process.env.ISTIOCTL_SLOW_SECONDS = String(o.seconds);
  process.env.ISTIOCTL_SLOW_WHEN = o.when;
  process.env.ISTIOCTL_SLOW_LOG = o.log;
  process.env.ISTIOCTL_SLOW_PIDFILE = o.pidfile;
}

export interface InstallRun {
  pid: number;
  start: number;
  applied?: number;
  end?: number;
  how?: string;
}

/** The slow wrapper's installs, in start order. */
export function installRuns(log: string): InstallRun[] {
  if (!existsSync(log)) return [];
  const runs = new Map<number, InstallRun>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const [what, pid, at, ...how] = line.trim().split(' ');
    if (!what || !pid || !at) continue;
    const r = runs.get(Number(pid)) ?? { pid: Number(pid), start: 0 };
    if (what === 'start') r.start = Number(at);
    if (what === 'applied') r.applied = Number(at);
    if (what === 'end') {
      r.end = Number(at);
      r.how = how.join(' ');
    }
    runs.set(r.pid, r);
  }
  return [...runs.values()].sort((a, b) => a.start - b.start);
}

/** Pairs of installs that ran at the same time (an install with no end yet runs until now). */
export function overlaps(runs: InstallRun[]): [number, number][] {
  const out: [number, number][] = [];
  for (const [i, a] of runs.entries())
    for (const b of runs.slice(i + 1))
      if (b.start < (a.end ?? Number.POSITIVE_INFINITY)) out.push([a.pid, b.pid]);
  return out;
}

/**
 * A directory for the bot's ISTIOCTL_DIR where every `istioctl-<version>` is
 * test/support/istioctl-direct.sh: the harness's wrapper, pointed at `kubeconfig`/`context` whatever
 * the bot passes (the bot's own client goes through the fault proxy; istioctl does not).
 */
export function directIstioctlDir(kubeconfig: string, context: string, binDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'iub-direct-istioctl-'));
  for (const v of istioVersions())
    symlinkSync(join(REPO_ROOT, 'test/support/istioctl-direct.sh'), join(dir, `istioctl-${v}`));
  process.env.ISTIOCTL_DIRECT_BIN_DIR = binDir;
  process.env.ISTIOCTL_DIRECT_KUBECONFIG = kubeconfig;
  process.env.ISTIOCTL_DIRECT_CONTEXT = context;
  return dir;
}

// ------------------------------------------------------------------------------------------ log tap

/** A pino destination that keeps every line a bot logs, to wait for what it says. */
export class LogTap {
  readonly lines: { msg?: string; level?: number; [k: string]: unknown }[] = [];
  write(s: string): void {
    for (const l of s.split('\n'))
      if (l.trim())
        try {
          this.lines.push(JSON.parse(l));
        } catch {
          this.lines.push({ msg: l });
        }
  }
  has(msg: string): boolean {
    return this.lines.some((l) => l.msg?.includes(msg));
  }
  async waitFor(msg: string, timeoutMs: number): Promise<void> {
    await waitUntil(async () => this.has(msg), timeoutMs, 20).catch(() => {
      throw new Error(
        `the bot did not log "${msg}" within ${timeoutMs} ms; it logged: ${this.lines
          .slice(-15)
          .map((l) => l.msg)
          .join(' | ')}`,
      );
    });
  }
}

// ------------------------------------------------------------------------------------------- Redis

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A real redis-server of its own on loopback, persisting with AOF `everysec` into a dir of its own. */
export class RedisServer {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'iub-redis-aof-'));
  port = 0;

  get host(): string {
    return '127.0.0.1';
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir];
    args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '');
    args.push('--protected-mode', 'no', '--logfile', join(this.dir, 'redis.log'));
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    const ping = async () => {
      const probe = new Redis({
        host: this.host,
        port: this.port,
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    };
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode})`);
        return ping();
      },
      20_000,
      50,
    );
  }

  /** SIGKILL, as a crash or an evicted pod: no shutdown save; resolves once the process is gone. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = once(c, 'exit');
    c.kill('SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}

// ----------------------------------------------------------------------------------- cluster reads

const rv = (o: { metadata?: k8s.V1ObjectMeta }) => o.metadata?.resourceVersion ?? '?';

/**
 * `kind/namespace/name → resourceVersion` of everything a worker could change: the namespaces, their
 * Deployments and ReplicaSets, the Istio namespace's Deployments (istiod), Services, ConfigMaps and
 * ServiceAccounts, and every mutating and validating webhook configuration.
 */
export async function resourceVersions(namespaces: string[]): Promise<Record<string, string>> {
  const { core, apps, adm } = api();
  const out: Record<string, string> = {};
  const put = (kind: string, items: { metadata?: k8s.V1ObjectMeta }[]) => {
    for (const o of items) out[`${kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`] = rv(o);
  };
  for (const ns of [...namespaces, 'istio-system']) {
    put('Namespace', [await core.readNamespace({ name: ns })]);
    put('Deployment', (await apps.listNamespacedDeployment({ namespace: ns })).items);
    put('ReplicaSet', (await apps.listNamespacedReplicaSet({ namespace: ns })).items);
  }
  put('Service', (await core.listNamespacedService({ namespace: 'istio-system' })).items);
  put('ConfigMap', (await core.listNamespacedConfigMap({ namespace: 'istio-system' })).items);
  put('ServiceAccount', (await core.listNamespacedServiceAccount({ namespace: 'istio-system' })).items);
  put('MutatingWebhookConfiguration', (await adm.listMutatingWebhookConfiguration()).items);
  put('ValidatingWebhookConfiguration', (await adm.listValidatingWebhookConfiguration()).items);
  return out;
}

export interface RestartHistory {
  name: string;
  /** The pod template's current restartedAt. */
  restartedAt: string | undefined;
  /** deployment.kubernetes.io/revision: one per rollout. */
  revision: string | undefined;
  /** restartedAt of every ReplicaSet the Deployment owns (one per rollout), sorted; `-` for none. */
  rsStamps: string[];
}

/** Each Deployment's rollouts as its ReplicaSets record them: a second restart is a second ReplicaSet. */
export async function restartHistory(namespace: string): Promise<RestartHistory[]> {
  const { apps } = api();
  const ds = await apps.listNamespacedDeployment({ namespace });
  const rs = await apps.listNamespacedReplicaSet({ namespace });
  return ds.items
    .map((d) => ({
      name: d.metadata!.name!,
      restartedAt: d.spec?.template.metadata?.annotations?.[RESTARTED_AT],
      revision: d.metadata?.annotations?.['deployment.kubernetes.io/revision'],
      rsStamps: rs.items
        .filter((x) => x.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid))
        .map((x) => x.spec?.template?.metadata?.annotations?.[RESTARTED_AT] ?? '-')
        .sort(),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
