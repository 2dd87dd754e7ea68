// One cluster state per checkout (test/cluster/common.sh): the scripts of two checkouts share the
// built binaries but never each other's running cluster, and the TS harness reads the same paths.
// Runs the real scripts on copies of test/cluster (two "checkouts") with a cache of its own; no
// cluster is started: down.sh is shown to stop only its own checkout's processes.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { type ClusterEnv, clusterEnv, REPO_ROOT } from '../support/cluster-harness.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'iub-state-')));
const cache = join(root, 'cache');
const checkoutA = join(root, 'a', 'istio-upgrade-bot');
const checkoutB = join(root, 'b', 'istio-upgrade-bot');
for (const c of [checkoutA, checkoutB]) {
  mkdirSync(join(c, 'test'), { recursive: true });
  cpSync(join(REPO_ROOT, 'test', 'cluster'), join(c, 'test', 'cluster'), { recursive: true });
}
const children: ChildProcess[] = [];

/** The scripts' environment without this process's overrides (as a fresh shell would run them). */
function scriptEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CLUSTER_CACHE: cache };
  delete env.CLUSTER_STATE;
  delete env.CLUSTER_NAME;
  return { ...env, ...extra };
}
const envOf = (checkout: string, extra?: Record<string, string>): ClusterEnv =>
  JSON.parse(
    execFileSync('bash', [join(checkout, 'test', 'cluster', 'env.sh'), '--json'], {
      encoding: 'utf8',
      env: scriptEnv(extra),
    }),
  ) as ClusterEnv;
// async, so this process reaps its fake cluster process as soon as down.sh stops it
const down = (checkout: string) =>
  execa('bash', [join(checkout, 'test', 'cluster', 'down.sh')], { env: scriptEnv(), extendEnv: false });

/** A fake running cluster in a state dir: a live process named by the stand-in's pid file. */
function fakeCluster(stateDir: string): ChildProcess {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\n');
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  writeFileSync(join(stateDir, 'injector-standin.pid'), `${child.pid}\n`);
  return child;
}
const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('cluster state per checkout', () => {
  it('is named after the checkout (dir name + hash of its path) inside the shared cache', () => {
    const a = envOf(checkoutA);
    const b = envOf(checkoutB);
    expect(a.checkout).toBe(checkoutA);
    expect(a.cacheDir).toBe(cache);
    expect(a.stateDir).toMatch(new RegExp(`^${cache}/run-istio-upgrade-bot-[0-9a-f]{12}$`));
    expect(b.stateDir).toMatch(new RegExp(`^${cache}/run-istio-upgrade-bot-[0-9a-f]{12}$`));
    expect(a.stateDir).not.toBe(b.stateDir);
    expect(a.kubeconfig).toBe(join(a.stateDir, 'kubeconfig'));
    expect(a.istio.map((i) => i.wrapper)).toEqual(
      a.istio.map((i) => join(a.stateDir, 'bin', `istioctl-${i.version}`)),
    );
    // the binaries stay shared
    expect(a.binaries).toEqual(b.binaries);
    expect(a.binaries.every((p) => p.startsWith(`${cache}/`))).toBe(true);
    // stable: the same checkout always gets the same state
    expect(envOf(checkoutA).stateDir).toBe(a.stateDir);
  });

  it('CLUSTER_STATE still overrides it (the chart test runs a cluster of its own)', () => {
    expect(envOf(checkoutA, { CLUSTER_STATE: join(root, 'own') }).stateDir).toBe(join(root, 'own'));
  });

  it("down.sh of one checkout leaves another checkout's running cluster alone, and stops its own", async () => {
    const a = envOf(checkoutA);
    const b = envOf(checkoutB);
    const procA = fakeCluster(a.stateDir);
    const procB = fakeCluster(b.stateDir);
    await down(checkoutB);
    await exited(procB);
    expect(existsSync(b.stateDir)).toBe(false);
    expect(procA.exitCode).toBeNull();
    expect(procA.signalCode).toBeNull();
    expect(existsSync(join(a.stateDir, 'kubeconfig'))).toBe(true);
    await down(checkoutA);
    await exited(procA);
    expect(procA.signalCode).toBe('SIGTERM');
    expect(existsSync(a.stateDir)).toBe(false);
  });

  it("the cluster's daemons do not hold what up.sh's caller opened (e.g. a flock lock)", async () => {
    const lock = join(root, 'caller.lock');
    // a daemon started the way up.sh starts them: after close_inherited_fds, or (control) without
    const daemon = async (close: boolean) => {
      const common = join(checkoutA, 'test', 'cluster', 'common.sh');
      const script = `. '${common}'; ${close ? 'close_inherited_fds;' : ''} sleep 60 >/dev/null 2>&1 & echo $!`;
      const pid = Number((await execa('flock', [lock, 'bash', '-c', script], { env: scriptEnv() })).stdout);
      const free = (await execa('flock', ['-n', lock, 'true'], { reject: false })).exitCode === 0;
      process.kill(pid);
      return free;
    };
    expect(await daemon(false)).toBe(false); // inherited: the lock stays held while the daemon runs
    expect(await daemon(true)).toBe(true);
  });

  it("the harness reads this checkout's state from the same script", () => {
    delete process.env.CLUSTER_STATE; // this process's first clusterEnv() call: the default path
    const env = clusterEnv();
    const sum = createHash('sha256').update(realpathSync(REPO_ROOT)).digest('hex').slice(0, 12);
    expect(env.checkout).toBe(realpathSync(REPO_ROOT));
    expect(env.stateDir).toBe(join(env.cacheDir, `run-${basename(env.checkout)}-${sum}`));
    expect(env.kubeconfig).toBe(join(env.stateDir, 'kubeconfig'));
  });
});
