// Scenario 5 (issue 6), end to end: the worker is a separate process (test/support/e2e-worker-entry.ts,
// the REAL cluster registry and engine) and is killed with SIGKILL during wave 1's restarts, after
// exactly 2 of its 6 (the next one held by an admission webhook of the test,
// test/support/restart-gate.ts); a new worker process takes over. The upgrade completes, and no
// workload's pod template got two different restartedAt stamps in a wave: each Deployment has
// exactly one `kubectl.kubernetes.io/restartedAt` (the wave's), two ReplicaSets (the original and
// the restart) and revision 2.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeconfigPath, REPO_ROOT, waitFor } from '../support/cluster-harness.js';
import { RestartGate } from '../support/restart-gate.js';
import {
  adminContext,
  api,
  approve,
  createApps,
  diffMessage,
  dumpThread,
  expectPodsOn,
  expectUninstalled,
  installRevision,
  LONG,
  parentMessage,
  record,
  requestUpgrade,
  resetMesh,
  type Scenario,
  secs,
  startScenario,
  versions,
  waitForState,
} from './support-scenarios.js';

const cluster = inject('cluster');
const children = new Set<ChildProcess>();
const PASSED = 2; // wave 1's restarts done when the worker is killed (of 6)
let gate: RestartGate | undefined;
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

function spawnWorker(s: Scenario, warm: boolean) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/e2e-worker-entry.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      IUB_PREFIX: s.prefix,
      IUB_KUBECONFIG: kubeconfigPath(),
      IUB_CONTEXT: adminContext(),
      IUB_SLACK_API_URL: s.emu.apiUrl,
      IUB_SLACK_TOKEN: s.emu.state.botToken,
      // one restart patch at a time: the kill can land between two Deployments' patches
      IUB_CONCURRENCY: '1',
      ...(warm ? { IUB_WAIT_FOR_GO: '1' } : {}),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const said = (word: string) =>
    new Promise<ChildProcess>((resolve, reject) => {
      child.stdout?.on('data', (b: Buffer) => {
        if (b.toString().includes(word)) resolve(child);
      });
      child.on('exit', (code, sig) => reject(new Error(`worker exited (${code ?? sig})`)));
    });
  const loaded = warm ? said('loaded') : Promise.resolve(child);
  const ready = said('ready');
  ready.catch(() => undefined);
  return { child, loaded, ready, go: () => child.stdin?.write('go\n') };
}

interface Stamps {
  name: string;
  restartedAt: string | undefined;
  revision: string | undefined;
  replicaSets: number;
  rsStamps: (string | undefined)[];
}

async function stamps(namespace: string): Promise<Stamps[]> {
  const { apps } = api();
  const ds = await apps.listNamespacedDeployment({ namespace });
  const rs = await apps.listNamespacedReplicaSet({ namespace });
  return ds.items
    .map((d) => {
      const mine = rs.items.filter((x) =>
        x.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid),
      );
      return {
        name: d.metadata!.name!,
        restartedAt: d.spec?.template.metadata?.annotations?.[RESTARTED_AT],
        revision: d.metadata?.annotations?.['deployment.kubernetes.io/revision'],
        replicaSets: mine.length,
        rsStamps: mine.map((x) => x.spec?.template?.metadata?.annotations?.[RESTARTED_AT]).sort(),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe.skipIf(!cluster.available)('scenario 5: worker killed during wave 1, replaced', () => {
  const { OLD, NEW, R_OLD, R_NEW } = cluster.available ? versions() : ({} as ReturnType<typeof versions>);
  const APPS = ['web', 'api', 'cart', 'search', 'auth', 'mail'];
  let s: Scenario;
  const t0 = Date.now();

  beforeAll(async () => {
    await resetMesh();
    await installRevision(OLD, R_OLD);
    await createApps(['sc5-a'], { 'istio.io/rev': R_OLD }, APPS);
    await createApps(['sc5-b'], { 'istio.io/rev': R_OLD });
    await expectPodsOn(['sc5-a'], R_OLD, OLD, APPS.length);
    s = await startScenario({ worker: false });
    console.log(`[scenario 5] mesh ready in ${secs(t0)} s`);
  }, 600_000);
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await gate?.stop();
    await s?.close();
    // files run in any order on one cluster: leave an empty mesh, as a fresh cluster has
    if (cluster.available) await resetMesh();
    console.log(`[scenario 5] total ${secs(t0)} s`);
  });

  it('completes the upgrade with every workload restarted once per wave', LONG, async () => {
    const first = spawnWorker(s, false);
    const spare = spawnWorker(s, true);
    await first.ready;
    await spare.loaded;
    const id = await requestUpgrade(s, `upgrade ${NEW} --waves "sc5-a;sc5-b"`);
    // the API server lets wave 1's first PASSED restarts through and holds the next one (the worker
    // patches one at a time): the kill lands after some but not all restarts, every run
    gate = new RestartGate('sc5-a', PASSED);
    await gate.start(mkdtempSync(join(tmpdir(), 'iub-gate-')));
    await approve(s, id, 'wave 1');
    await waitFor('a restart held after the first ones', async () => gate!.held.length > 0, 180_000, 20);
    const atKill = await record(s, id);
    const stamped = (await stamps('sc5-a')).filter((d) => d.restartedAt !== undefined);
    first.child.kill('SIGKILL');
    console.log(
      `[scenario 5] SIGKILL at ${atKill.state}/${atKill.step}#${atKill.currentWave}: restarted ${gate.admitted.join(', ')}; held ${gate.held.join(', ')}`,
    );
    expect([atKill.step, atKill.currentWave]).toEqual(['restart_workloads', 1]);
    expect(gate.admitted).toHaveLength(PASSED);
    expect(stamped.map((d) => `sc5-a/${d.name}`).sort()).toEqual([...gate.admitted].sort());
    expect(stamped.every((d) => d.restartedAt === atKill.waves[0]!.restartedAt)).toBe(true);
    expect(PASSED).toBeLessThan(APPS.length); // some, not all
    await gate.stop();
    spare.go();
    await spare.ready;

    await diffMessage(s, id, 1);
    await approve(s, id, 'wave 2');
    await approve(s, id, 'finish');
    const end = await waitForState(s, id, (r) => r.state === 'done').catch(async (e) => {
      console.log(dumpThread(s, await record(s, id)));
      throw e;
    });
    await s.bot.notifier.idle();
    await expectUninstalled(R_OLD);
    await expectPodsOn(['sc5-a'], R_NEW, NEW, APPS.length);
    await expectPodsOn(['sc5-b'], R_NEW, NEW);

    for (const [i, ns] of ['sc5-a', 'sc5-b'].entries()) {
      const stamp = end.waves[i]!.restartedAt;
      expect(stamp).toBeTruthy();
      for (const d of await stamps(ns)) {
        expect(d, `${ns}/${d.name}`).toEqual({
          name: d.name,
          restartedAt: stamp,
          revision: '2',
          replicaSets: 2,
          rsStamps: [stamp, undefined].sort(),
        });
      }
    }
    expect(parentMessage(s, end)!.text).toContain('done');
  });
});
