// Scenarios 8.1–8.3 (issue 11), end to end on one mesh (1.25.3 installed, two namespaces): a superseded
// step stops acting on the cluster. The canary's istioctl (1.31-dev) is the REAL one behind
// test/support/istioctl-slow.sh, whose `install` is slow and logs when each install starts and ends.
// 8.1 abort during the slow install: its process group is gone within 5 s, a new upgrade is refused
//     ("being aborted") until then and accepted afterwards, never two installs at once;
// 8.2 rollback during an install that has applied its resources and not returned: `rolled_back`,
//     no canary left, never `stopped`;
// 8.3 partition: the worker running the install reaches Redis through test/support/tcp-proxy.ts,
//     which is cut; another worker rolls back; the cut worker's install stops when its lease lapses,
//     and once reconnected and settled it has changed nothing (resourceVersions).
// Slack emulator → Bolt → REAL engine (Redis) → REAL cluster adapters and istioctl.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { groupAlive } from '../../src/cluster/istioctl/process-group.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';
import { kubeconfigPath } from '../support/cluster-harness.js';
import { buildE2EBot, type E2EBot } from '../support/e2e-bot.js';
import {
  type InstallRun,
  installRuns,
  LogTap,
  overlaps,
  resourceVersions,
  slowEnv,
  slowIstioctlDir,
} from '../support/e2e-edge.js';
import { REDIS, waitUntil } from '../support/engine-harness.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import {
  adminContext,
  CH,
  createApps,
  dumpThread,
  expectPodsOn,
  expectUninstalled,
  installRevision,
  istiods,
  LONG,
  nsRev,
  record,
  requestUpgrade,
  resetMesh,
  type Scenario,
  secs,
  startScenario,
  USERS,
  versions,
  waitForState,
  webhookNames,
} from './support-scenarios.js';

const cluster = inject('cluster');
const NS = ['sc8-a', 'sc8-b'];

/** `/istio <text>` by `user`; the ephemeral answer it got. */
async function ask(s: Scenario, text: string, user: string = USERS.alice, channel: string = CH.ops) {
  const before = s.emu.state.ephemeralsFor(user).length;
  const sent = Date.now();
  const r = await s.emu.command({ user, channel, text });
  expect(r.status).toBe(200);
  const e = await waitUntil(async () => s.emu.state.ephemeralsFor(user)[before], 30_000, 10);
  return { sent, text: e.text, blocks: JSON.stringify(e.blocks ?? []) };
}

/** The install started by the slow wrapper after `after` (ms), once it has written its pid. */
async function nextInstall(log: string, after: number, timeoutMs = 180_000): Promise<InstallRun> {
  return waitUntil(async () => installRuns(log).find((r) => r.start >= after), timeoutMs, 50);
}

/** Every state the record goes through, sampled every 20 ms, until `stop()`. */
function watchStates(s: Scenario, id: string) {
  const seen: string[] = [];
  let on = true;
  const done = (async () => {
    while (on) {
      const r = await s.bot.engine.service.get(id);
      if (r && seen.at(-1) !== r.state) seen.push(r.state);
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  return {
    seen,
    async stop() {
      on = false;
      await done;
    },
  };
}

/** `p`, or an error saying `what` did not happen within `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, rej) => {
    t = setTimeout(() => rej(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(t));
}

describe.skipIf(!cluster.available)('scenarios 8.1–8.3: superseded steps stop (slow istioctl)', () => {
  const { OLD, NEW, R_OLD, R_NEW } = cluster.available ? versions() : ({} as ReturnType<typeof versions>);
  const slow = cluster.available ? slowIstioctlDir(NEW) : { dir: '', log: '', pidfile: '' };
  const t0 = Date.now();
  let s: Scenario | undefined;

  const noCanary = async () => {
    await expectUninstalled(R_NEW);
    expect(await istiods()).toEqual([`istiod-${R_OLD}`]);
    expect((await webhookNames()).filter((w) => w.includes(R_NEW))).toEqual([]);
    for (const ns of NS) expect(await nsRev(ns)).toBe(R_OLD);
  };

  beforeAll(async () => {
    await resetMesh();
    await installRevision(OLD, R_OLD);
    await createApps(NS, { 'istio.io/rev': R_OLD });
    await expectPodsOn(NS, R_OLD, OLD);
    console.log(`[scenario 8.1-3] mesh ready in ${secs(t0)} s`);
  }, 600_000);
  afterAll(async () => {
    await s?.close();
    if (cluster.available) await resetMesh();
    console.log(`[scenario 8.1-3] total ${secs(t0)} s`);
  });

  it(
    '8.1 abort during a slow install: stopped within 5 s, the cluster busy until then, one install at a time',
    LONG,
    async () => {
      // the install takes 10 min, and 1.5 s to stop once told to (it finishes its current request)
      slowEnv({ seconds: 600, when: 'before', log: slow.log, pidfile: slow.pidfile });
      process.env.ISTIOCTL_SLOW_STOP_SECONDS = '1.5';
      s = await startScenario({ istioctlDir: slow.dir });
      const sc = s;
      const a = await requestUpgrade(sc, `upgrade ${NEW} --waves "sc8-a;sc8-b"`);
      const runA = await nextInstall(slow.log, t0);
      await waitForState(sc, a, (r) => r.step === 'install_control_plane');
      expect(await groupAlive(runA.pid)).toBe(true);

      const abort = await ask(sc, `abort ${a}`);
      await waitForState(sc, a, (r) => r.state !== 'running', 10_000, 10);
      // gone is polled from here on, so each request below knows whether the install still ran
      let goneAt = 0;
      const gone = waitUntil(
        async () => {
          if (await groupAlive(runA.pid)) return false;
          goneAt = Date.now();
          return true;
        },
        30_000,
        10,
      );
      // a new upgrade asked at once is refused while the aborted install still runs
      const first = await ask(sc, `upgrade ${NEW} --waves "sc8-a"`);
      expect(first.text).toContain('being aborted');
      expect(first.blocks).toContain('cluster_busy');
      expect(
        goneAt === 0 || goneAt > first.sent,
        'the first request came after the install had stopped',
      ).toBe(true);
      await gone;
      expect(goneAt - abort.sent, 'abort → install process group gone (ms)').toBeLessThanOrEqual(5_000);
      console.log(`[scenario 8.1] abort → install gone in ${goneAt - abort.sent} ms`);

      // asked again until accepted: refused only while being aborted, accepted only once the install has stopped
      process.env.ISTIOCTL_SLOW_STOP_SECONDS = '0';
      let b: string | undefined;
      for (let i = 0; !b; i++) {
        expect(i, 'a new upgrade was still refused 30 s after the abort').toBeLessThan(100);
        const again = await ask(sc, `upgrade ${NEW} --waves "sc8-a"`);
        if (again.text.includes('Planned')) {
          b = /up-[a-z0-9]{4,8}/.exec(again.text)![0];
          expect(again.sent).toBeGreaterThan(goneAt);
        } else {
          expect(again.text).toContain('being aborted');
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      expect((await record(sc, a)).state).toBe('aborted');
      // B's install starts; A's ended before it: never two at once
      const runB = await nextInstall(slow.log, goneAt);
      const runs = installRuns(slow.log);
      expect(runs.map((r) => r.pid)).toEqual([runA.pid, runB.pid]);
      expect(runs[0]!.how).toBe('signal TERM');
      expect(overlaps(runs)).toEqual([]);
      expect(await istiods()).toEqual([`istiod-${R_OLD}`]); // A's install never reached the cluster
      // B aborted too (its install stopped), so 8.2 starts with a free cluster
      await ask(sc, `abort ${b}`);
      await waitForState(sc, b, (r) => r.state === 'aborted', 30_000);
      expect(await groupAlive(runB.pid)).toBe(false);
      expect(overlaps(installRuns(slow.log))).toEqual([]);
      await noCanary();
    },
  );

  it(
    '8.2 rollback while the install has applied and not returned: rolled_back, no canary, never stopped',
    LONG,
    async () => {
      // the install applies its resources for real, then waits 10 min before returning
      slowEnv({ seconds: 600, when: 'after', log: slow.log, pidfile: slow.pidfile });
      s ??= await startScenario({ istioctlDir: slow.dir });
      const sc = s;
      const started = Date.now();
      const id = await requestUpgrade(sc, `upgrade ${NEW} --waves "sc8-a;sc8-b"`);
      const states = watchStates(sc, id);
      const run = await nextInstall(slow.log, started);
      await waitUntil(
        async () => installRuns(slow.log).find((r) => r.pid === run.pid)?.applied,
        240_000,
        100,
      );
      // half-way: the canary control plane is on the cluster, the install has not returned
      expect(await istiods()).toEqual([`istiod-${R_NEW}`, `istiod-${R_OLD}`].sort());
      expect((await record(sc, id)).step).toBe('install_control_plane');
      expect(await groupAlive(run.pid)).toBe(true);

      const clicked = Date.now();
      await ask(sc, `rollback ${id} INC-81 canary misbehaves`, USERS.dave, CH.incident);
      await waitUntil(async () => !(await groupAlive(run.pid)), 30_000, 10);
      const goneMs = Date.now() - clicked;
      const end = await waitForState(sc, id, (r) => r.state === 'rolled_back', 300_000).catch(async (e) => {
        console.log(dumpThread(sc, await record(sc, id)));
        throw e;
      });
      await states.stop();
      console.log(
        `[scenario 8.2] rollback → install gone in ${goneMs} ms; states ${states.seen.join(' → ')}`,
      );
      expect(goneMs).toBeLessThanOrEqual(5_000);
      expect(states.seen).not.toContain('stopped');
      expect(states.seen).toContain('rolling_back');
      expect(end.compensations).toEqual([]);
      await noCanary();
      await expectPodsOn(NS, R_OLD, OLD);
      expect(overlaps(installRuns(slow.log))).toEqual([]);
    },
  );

  it(
    '8.3 partition: the cut-off worker stops at its lease and changes nothing once reconnected',
    LONG,
    async () => {
      await s?.close();
      s = undefined;
      // the cut worker's install would reach the cluster 20 s after it began, unless it is stopped
      slowEnv({ seconds: 20, when: 'before', log: slow.log, pidfile: slow.pidfile });
      const proxy = new TcpProxy(REDIS.host, REDIS.port);
      await proxy.listen();
      // the Slack side and the other worker reach Redis directly (their worker starts after the cut)
      s = await startScenario({ worker: false });
      const sc = s;
      const tap = new LogTap();
      const cut: E2EBot = buildE2EBot({
        prefix: sc.prefix,
        kubeconfig: kubeconfigPath(),
        context: adminContext(),
        slackApiUrl: sc.emu.apiUrl,
        slackToken: sc.emu.state.botToken,
        redis: { host: '127.0.0.1', port: proxy.port },
        istioctlDir: slow.dir,
        logDestination: tap,
        logLevel: 'info',
      });
      let closed: Promise<void> | undefined;
      const closeCut = () => {
        closed ??= cut.close();
        return closed;
      };
      try {
        await cut.engine.startWorker();
        const started = Date.now();
        const id = await requestUpgrade(sc, `upgrade ${NEW} --waves "sc8-a;sc8-b"`);
        const run = await nextInstall(slow.log, started);
        await waitForState(sc, id, (r) => r.step === 'install_control_plane');

        const connections = proxy.connections; // the cut worker's Redis connections (store, queue, BullMQ)
        proxy.cut();
        const cutAt = Date.now();
        await sc.bot.engine.startWorker();
        await ask(sc, `rollback ${id} INC-82 worker lost`, USERS.dave, CH.incident);
        // the cut worker cannot renew its lease: it stops its own install within the lease time (2 s) + 5 s
        await waitUntil(async () => !(await groupAlive(run.pid)), 60_000, 20);
        const stoppedMs = Date.now() - cutAt;
        await tap.waitFor('step cancelled: this worker no longer holds the run', 5_000);
        const end: UpgradeRecord = await waitForState(sc, id, (r) => r.state === 'rolled_back', 300_000);
        console.log(`[scenario 8.3] cut → cut worker's install gone in ${stoppedMs} ms; rolled back`);
        expect(stoppedMs).toBeLessThanOrEqual(7_000);
        await noCanary();

        // the cluster after the rollback; then the cut worker reconnects and its job ends
        const rolledBack = await resourceVersions(NS);
        expect(tap.has('step superseded')).toBe(true); // its install step ended when the lease lapsed
        proxy.restore();
        const t1 = Date.now();
        // reconnected: it reads the record (rolled back) through its own connection
        await waitUntil(async () => (await cut.engine.service.get(id))?.state === 'rolled_back', 60_000, 50);
        console.log(`[scenario 8.3] cut worker reconnected in ${Date.now() - t1} ms`);
        await within(cut.notifier.idle(), 60_000, 'the cut worker: notifier idle');
        console.log(`[scenario 8.3] cut worker notifier idle after ${Date.now() - t1} ms`);
        // every connection it had is back (BullMQ's Worker.close() does not resolve while one of its
        // connections is still reconnecting: taskforcesh/bullmq#2430); then its worker is closed,
        // which waits for its job to end
        await waitUntil(async () => proxy.connections >= connections, 60_000, 50);
        const closed = await within(closeCut(), 20_000, 'close').then(
          () => true,
          () => false,
        );
        console.log(
          `[scenario 8.3] cut worker ${closed ? 'closed' : 'NOT closed (BullMQ close pending)'} after ${Date.now() - t1} ms; it logged after the restore: ${tap.lines
            .filter((l) => Number(l.time) >= t1)
            .map((l) => l.msg)
            .join(' | ')}`,
        );
        expect(closed).toBe(true);
        expect(await resourceVersions(NS)).toEqual(rolledBack);
        await noCanary();
        expect((await record(sc, id)).state).toBe('rolled_back');
        expect(end.stopped).toBeUndefined();
        expect(installRuns(slow.log).find((r) => r.pid === run.pid)?.applied).toBeUndefined();
      } finally {
        proxy.restore();
        await within(closeCut(), 30_000, 'close').catch(() => undefined);
        await proxy.close();
      }
    },
  );
});
