// Benchmark (issue 15, "Scale, measured"): an upgrade of a large mesh on the test cluster, driven
// through the bot's engine as production runs it — a ROLE=bot engine here (requests, approvals), the
// worker in its own process (bench/scale-worker.ts: real registry, engine, notifier), the Slack
// emulator, Redis — default 300 namespaces × 10 Deployments (KWOK) in waves of 50 namespaces
// (`npm run bench -- scale --namespaces N --per-namespace M --wave-namespaces W`). Printed per wave
// and in total:
//   • Kubernetes API requests per workload, counted by a loopback counting proxy in front of the real
//     apiserver (test/support/kube-request-count.ts), the bot's apart from istioctl's (goal ≤ 1.3, plus
//     a bounded number of watches);
//   • the worker's peak RSS (VmHWM of the worker built to JavaScript with npm start's heap flag, as
//     production runs it, SCALE_WORKER_NODE_FLAGS to try others; goal
//     ≤ 200 MB) and the Redis memory of the upgrade's keys;
//   • the upgrade record's size and how often it was rewritten (its `rev`);
//   • Slack calls per wave (goal: constant, not per workload), every message inside Block Kit limits;
//   • wave wall time against the cluster's own floor for the same restarts (bench/floor.ts), the floor
//     measured right after each wave on its Deployments (goal ≤ 1.05×).
// The controller-manager's rate limit bounds the floor: printed (CLUSTER_CM_QPS/CLUSTER_CM_BURST).
// Starts a fresh cluster (CLUSTER_REUSE=1 keeps a running one) and stops it if it started it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webApi } from '@slack/bolt';
import { Redis } from 'ioredis';
import { KubeClient } from '../src/cluster/kube/client.js';
import type { UpgradeRecord } from '../src/domain/upgrade/record.js';
import { clusterNames, createEngine, type Engine } from '../src/engine/index.js';
import { boltLogger } from '../src/slack/bolt-logger.js';
import { createSlackNotifier, type SlackNotifier } from '../src/slack/notifier.js';
import { createRedisStore } from '../src/slack/redis-store.js';
import { clusterGate, releaseCluster } from '../test/cluster-adapters/cluster-support.js';
import { clusterEnv, istioVersions, kubeConfig, revisionOf } from '../test/support/cluster-harness.js';
import { E2E_CLUSTER, E2E_MAX_MINOR_JUMP } from '../test/support/e2e-bot.js';
import { REDIS, silentLogger, uniquePrefix } from '../test/support/engine-harness.js';
import { KubeFaultProxy } from '../test/support/kube-fault-proxy.js';
import { countRequests } from '../test/support/kube-request-count.js';
import { validateBlocks } from '../test/support/slack-emulator/block-kit-limits.js';
import { SlackEmulator } from '../test/support/slack-emulator/server.js';
import { APPROVERS_GROUP, CH, TEST_POLICY, USERS } from '../test/support/slack-harness.js';
import { controllerManagerLimits, floor, median, sec } from './floor.js';
import { buildMesh, sizeFromArgs } from './scale-setup.js';

const MB = 1024 * 1024;
const ROOT = join(import.meta.dirname, '..');

/** Peak and current RSS of a process, in bytes (Linux /proc). */
function rssOf(pid: number): { peak: number; now: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0) * 1024;
  return { peak: kb('VmHWM'), now: kb('VmRSS') };
}

/**
 * The worker compiled to JavaScript (its own tsc build in .cache/bench-scale, as production runs the
 * built bot): under tsx the same process starts ~85 MB larger. Falls back to tsx if tsc fails.
 */
function buildWorker(): string[] {
  const work = join(ROOT, '.cache', 'bench-scale');
  mkdirSync(work, { recursive: true });
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../tsconfig.build.json',
      compilerOptions: {
        outDir: './build',
        rootDir: '../..',
        sourceMap: false,
        noEmit: false,
        declaration: false,
      },
      files: ['../../bench/scale-worker.ts'],
      include: [],
    }),
  );
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  spawnSync(process.execPath, [tsc, '-p', join(work, 'tsconfig.json')], { encoding: 'utf8' });
  const main = join(work, 'build', 'bench', 'scale-worker.js');
  if (existsSync(main)) return [main];
  console.log('(could not build the worker: it runs under tsx, ~85 MB larger)');
  return ['--import', 'tsx', join(ROOT, 'bench', 'scale-worker.ts')];
}

/**
 * Node flags of the worker: production's (the V8 flags of `npm start`, which the Dockerfile's
 * ENTRYPOINT repeats: ADR 23), or SCALE_WORKER_NODE_FLAGS (space-separated; empty: none) when set.
 */
export function workerFlags(): string[] {
  const set = process.env.SCALE_WORKER_NODE_FLAGS;
  if (set !== undefined) return set.split(/\s+/).filter(Boolean);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((a) => /^--max-(old|semi)-space-size=/.test(a));
}

async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...workerFlags(), ...buildWorker()], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`scale worker exited (${code}) before it was ready`)));
  });
  return child;
}

async function until<T>(what: string, check: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Redis memory of every key under the upgrade's prefix (records, queue, notifier store, blobs). */
async function redisMemory(redis: Redis, prefix: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) {
      const part = k.slice(prefix.length + 1).split(':')[0] ?? '';
      const group = ['up', 'slack', 'blob'].includes(part) ? part : 'queue+locks';
      out[group] = (out[group] ?? 0) + (Number(await redis.call('MEMORY', 'USAGE', k)) || 0);
    }
  } while (cursor !== '0');
  return out;
}

export default async function scale(): Promise<void> {
  const size = sizeFromArgs(process.argv.slice(3));
  // KWOK nodes take 250 pods each here (their pod IPs are one /24): enough for every pod, a wave's
  // surge and the control planes, unless CLUSTER_NODES / CLUSTER_NODE_PODS say otherwise.
  const pods = size.namespaces * size.perNamespace + size.waveNamespaces * size.perNamespace + 100;
  process.env.CLUSTER_NODE_PODS ??= '250';
  process.env.CLUSTER_NODES ??= String(Math.ceil(pods / Number(process.env.CLUSTER_NODE_PODS)));
  const gate = await clusterGate('scale benchmark');
  if (!gate.run) return void console.log(`scale benchmark SKIPPED: ${gate.reason}`);
  const [OLD = '', NEW = ''] = istioVersions();
  const kc = kubeConfig();
  const direct = new KubeClient({ context: kc.getCurrentContext(), kubeconfig: clusterEnv().kubeconfig });
  const prefix = uniquePrefix('scale');
  const redis = new Redis(REDIS);
  const emu = await new SlackEmulator().start();
  let worker: ChildProcess | undefined;
  let proxy: KubeFaultProxy | undefined;
  let bot: Engine | undefined;
  let notifier: SlackNotifier | undefined;
  try {
    const t0 = performance.now();
    console.log(`building the mesh: ${size.namespaces} namespaces × ${size.perNamespace} Deployments …`);
    const mesh = await buildMesh(direct, size, { version: OLD, revision: revisionOf(OLD) });
    const n = mesh.refs.length;
    const cm = controllerManagerLimits();
    console.log(
      `scale: ${n} Deployments in ${size.namespaces} namespaces (${size.perNamespace} each), waves of ${size.waveNamespaces} namespaces, ${OLD} → ${NEW}; ` +
        `setup ${sec(performance.now() - t0)}; controller-manager --kube-api-qps ${cm.qps} --kube-api-burst ${cm.burst}; ` +
        `${process.env.CLUSTER_NODES} KWOK nodes of ${process.env.CLUSTER_NODE_PODS} pods; worker node flags: ${workerFlags().join(' ') || 'none'}`,
    );
    proxy = await KubeFaultProxy.start({
      kubeconfig: clusterEnv().kubeconfig,
      dir: await mkdtemp(join(tmpdir(), 'iub-scale-')),
    });
    for (const u of Object.values(USERS)) emu.state.addUser(u);
    emu.state.addChannel(CH.ops, 'ops');
    emu.state.addUsergroup(APPROVERS_GROUP, [USERS.bob]);
    worker = await startWorker({
      SCALE_PREFIX: prefix,
      SCALE_KUBECONFIG: proxy.kubeconfig,
      SCALE_CONTEXT: 'via-fault-proxy',
      SCALE_SLACK_API_URL: emu.apiUrl,
      SCALE_SLACK_TOKEN: emu.state.botToken,
      SCALE_ISTIOCTL_DIR: join(clusterEnv().stateDir, 'bin'),
    });
    const pid = worker.pid!;
    const rssStart = rssOf(pid);
    // ROLE=bot: no cluster access, the worker reads the mesh for it; its own notifier posts what it
    // decides (the approval message replaced), as the bot process does.
    const chat = new webApi.WebClient(emu.state.botToken, {
      slackApiUrl: emu.apiUrl,
      logger: boltLogger(silentLogger()),
    });
    let engine: Engine | undefined;
    notifier = createSlackNotifier({
      client: chat,
      store: createRedisStore(redis, prefix),
      logger: silentLogger(),
      fourEyes: true,
      setMessage: (i, key, ts) => engine!.setMessage(i, key, ts),
    });
    engine = bot = createEngine({
      clusterAccess: 'via-workers',
      clusters: clusterNames([E2E_CLUSTER]),
      clusterReadTimeoutMs: 300_000,
      redis: REDIS,
      prefix,
      notifier,
      logger: silentLogger(),
      policy: TEST_POLICY,
      plan: { maxMinorJump: E2E_MAX_MINOR_JUMP },
    });
    const svc = bot.service;
    const waves: string[][] = [];
    for (let i = 0; i < mesh.namespaces.length; i += size.waveNamespaces)
      waves.push(mesh.namespaces.slice(i, i + size.waveNamespaces));
    const tReq = performance.now();
    const req = await svc.request({
      command: { kind: 'upgrade', version: NEW, waves, strategy: 'labels', dryRun: false },
      requester: { user: USERS.alice, channel: CH.ops },
    });
    if (!req.ok) throw new Error(`upgrade refused: ${req.error.message}`);
    const id = req.value.id;
    const get = async () => (await svc.get(id))!;
    const awaiting = (step: string, wave?: number) => async () => {
      const r = await get();
      if (r.state === 'stopped') throw new Error(`upgrade stopped: ${JSON.stringify(r.stopped)}`);
      return r.state === 'awaiting_approval' && r.approval?.step === step && r.approval.wave === wave
        ? r
        : null;
    };
    let r = await until('wave 1 approval', awaiting('await_wave_approval', 1), 1_200_000);
    const recordKey = `${prefix}:up:${id}`;
    const rows: Record<string, Record<string, string | number>> = {};
    const mark = (name: string, from: { log: number; calls: number; rev: number; t: number }, w: number) => {
      const c = countRequests(proxy!.stats.log, from.log);
      const calls = emu.state.calls.slice(from.calls);
      rows[name] = {
        'bot req': c.bot.requests,
        'bot req/workload': w ? (c.bot.requests / w).toFixed(2) : '-',
        'bot watches': c.bot.watches,
        'istioctl req': c.istioctl.requests,
        'ps stand-in req': c.other.requests,
        'slack calls': calls.length,
        'record rewrites': r.rev - from.rev,
        'record KiB': (JSON.stringify(r).length / 1024).toFixed(1),
        'peak RSS MB': (rssOf(pid).peak / MB).toFixed(0),
      };
      console.log(`  ${name}: ${JSON.stringify(rows[name])}`);
      return c;
    };
    const at = () => ({
      log: proxy!.stats.log.length,
      calls: emu.state.calls.length,
      rev: r.rev,
      t: performance.now(),
    });
    mark('plan → wave 1 approval', { log: 0, calls: 0, rev: 0, t: tReq }, 0);
    rows['plan → wave 1 approval']!.time = sec(performance.now() - tReq);
    const approver = { user: USERS.bob, channel: CH.ops, groups: [APPROVERS_GROUP] };
    const ratios: number[] = [];
    let firstWave: ReturnType<typeof countRequests> | undefined;
    for (const [i, ns] of waves.entries()) {
      const k = i + 1;
      const from = at();
      const ok = await svc.approve({ id, nonce: r.approval!.nonce, actor: approver });
      if (!ok.ok) throw new Error(`approve wave ${k}: ${ok.error.message}`);
      r =
        k < waves.length
          ? await until(`wave ${k + 1} approval`, awaiting('await_wave_approval', k + 1), 3_600_000)
          : await until('finish approval', awaiting('await_finish_approval'), 3_600_000);
      const wall = performance.now() - from.t;
      const refs = mesh.refs.filter((x) => ns.includes(x.namespace));
      const c = mark(`wave ${k}`, from, refs.length);
      firstWave ??= c;
      const mem = await redisMemory(redis, prefix);
      rows[`wave ${k}`]!['Redis KiB'] = (Object.values(mem).reduce((a, b) => a + b, 0) / 1024).toFixed(0);
      rows[`wave ${k}`]!['baselines KiB'] = ((mem.blob ?? 0) / 1024).toFixed(0);
      const f = await floor(direct, refs, `scale-floor-${k}-${Date.now()}`);
      ratios.push(wall / f);
      Object.assign(rows[`wave ${k}`]!, {
        time: sec(wall),
        floor: sec(f),
        'vs floor': `${(wall / f).toFixed(2)}×`,
      });
      console.log(`  wave ${k}: ${sec(wall)}, floor ${sec(f)} (${(wall / f).toFixed(2)}×)`);
    }
    const fromFinish = at();
    const fin = await svc.approve({ id, nonce: r.approval!.nonce, actor: approver });
    if (!fin.ok) throw new Error(`approve finish: ${fin.error.message}`);
    r = await until(
      'done',
      async () => {
        const x = await get();
        if (x.state === 'stopped') throw new Error(`upgrade stopped: ${JSON.stringify(x.stopped)}`);
        return x.state === 'done' ? x : null;
      },
      1_200_000,
    );
    mark('finish', fromFinish, 0);
    rows.finish!.time = sec(performance.now() - fromFinish.t);
    const total = countRequests(proxy.stats.log);
    const all = mark('total', { log: 0, calls: 0, rev: 0, t: tReq }, n);
    rows.total!.time = sec(performance.now() - tReq);
    console.table(rows);
    report(r, n, total, firstWave, all, ratios, {
      rss: rssOf(pid),
      rssStart,
      redisBytes: await redisMemory(redis, prefix),
      recordBytes: Number(await redis.hstrlen(recordKey, 'json')),
      emu,
    });
  } finally {
    worker?.kill('SIGTERM');
    await notifier?.idle();
    await bot?.close();
    await emu.stop();
    await proxy?.close();
    const keys = await redis.keys(`${prefix}:*`).catch(() => [] as string[]);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
    await releaseCluster(gate);
  }
}

function report(
  r: UpgradeRecord,
  n: number,
  total: ReturnType<typeof countRequests>,
  wave1: ReturnType<typeof countRequests> | undefined,
  _all: ReturnType<typeof countRequests>,
  ratios: number[],
  m: {
    rss: { peak: number; now: number };
    rssStart: { peak: number; now: number };
    redisBytes: Record<string, number>;
    recordBytes: number;
    emu: SlackEmulator;
  },
): void {
  // where a wave's time goes: from each step's start to the next one's, the last to the wave's end
  const starts = r.audit.filter((a) => a.action === 'step_started' && a.detail);
  for (const w of [1, 2]) {
    const mine = starts.filter((a) => a.detail!.includes(` wave ${w} `));
    const steps = mine.map((a, i) => {
      const end = mine[i + 1]?.at ?? r.waves[w - 1]?.finishedAt;
      const ms = end ? Date.parse(end) - Date.parse(a.at) : Number.NaN;
      return `${a.detail!.split(' ')[0]} ${(ms / 1000).toFixed(1)} s`;
    });
    if (steps.length) console.log(`wave ${w} by step (to the next step's start): ${steps.join(', ')}`);
  }
  const perWorkload = total.bot.requests / n;
  const top = (byKind: Record<string, number>) =>
    Object.entries(byKind)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ');
  console.log(`bot requests, wave 1 by kind: ${wave1 ? top(wave1.bot.byKind) : '-'}`);
  console.log(`bot requests, whole upgrade by kind: ${top(total.bot.byKind)}`);
  console.log(`istioctl requests by kind: ${top(total.istioctl.byKind)}`);
  const redisTotal = Object.values(m.redisBytes).reduce((a, b) => a + b, 0);
  console.log(
    `Redis memory of the upgrade's keys: ${(redisTotal / 1024).toFixed(0)} KiB (${Object.entries(m.redisBytes)
      .map(([k, v]) => `${k} ${(v / 1024).toFixed(0)} KiB`)
      .join(', ')}); record ${(m.recordBytes / 1024).toFixed(1)} KiB, written ${r.rev} times`,
  );
  const slackMsgs = m.emu.state.messages;
  let checked = 0;
  const problems: string[] = [];
  for (const msg of slackMsgs)
    for (const v of msg.versions) {
      checked++;
      if (v.blocks) problems.push(...validateBlocks(v.blocks).map((p) => `${msg.ts}: ${p}`));
    }
  const failed = m.emu.state.calls.filter((c) => !c.ok);
  const byMethod: Record<string, number> = {};
  for (const c of m.emu.state.calls) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
  console.log(
    `Slack: ${m.emu.state.calls.length} calls (${JSON.stringify(byMethod)}), ${slackMsgs.length} messages, ${checked} versions checked against Block Kit limits: ${problems.length} problems, ${failed.length} refused calls${
      failed.length
        ? ` (${failed
            .map((c) => `${c.method}: ${c.error}`)
            .slice(0, 3)
            .join('; ')})`
        : ''
    }`,
  );
  if (problems.length) console.log(problems.slice(0, 5).join('\n'));
  console.log(
    `worker RSS: peak ${(m.rss.peak / MB).toFixed(0)} MB (after start ${(m.rssStart.now / MB).toFixed(0)} MB, at the end ${(m.rss.now / MB).toFixed(0)} MB)`,
  );
  const ok = (c: boolean) => (c ? 'met' : 'MISSED');
  const worst = Math.max(...ratios);
  console.log(
    `targets: ≤ 1.3 bot requests/workload: ${ok(perWorkload <= 1.3)} (${perWorkload.toFixed(2)}, + ${total.bot.watches} watches); ` +
      `peak RSS ≤ 200 MB: ${ok(m.rss.peak <= 200 * MB)}; Block Kit: ${ok(problems.length === 0 && failed.length === 0)}; ` +
      `wave ≤ 1.05× floor: ${ok(worst <= 1.05)} (median ${median(ratios).toFixed(2)}×, worst ${worst.toFixed(2)}×)`,
  );
}
