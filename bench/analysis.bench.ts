// `npm run bench -- analysis`: the time a wave's traffic analysis adds beyond `interval × count`, and
// the Prometheus queries it makes per wave. A REAL Prometheus (1 s scrapes) over the mesh-telemetry
// stand-in (test/support), the real adapter (src/analysis), queries counted on the wire by a loopback
// counting proxy and by the adapter itself. Small interval × count (2 s × 2), several runs, medians.
import { PrometheusClient } from '../src/analysis/prometheus.js';
import { PrometheusWaveAnalysis } from '../src/analysis/run.js';
import { type AnalysisSpec, DEFAULT_CONTROL_PLANE, DEFAULT_METRICS } from '../src/domain/upgrade/analysis.js';
import type { WaveAnalysisRequest } from '../src/engine/ports.js';
import { CountingHttpProxy } from '../test/support/counting-http-proxy.js';
import { istiodScrapeGroups, MeshTelemetryStandin } from '../test/support/mesh-telemetry-standin.js';
import { startPrometheus } from '../test/support/prometheus.js';

const RUNS = 5;
const INTERVAL_MS = 2_000; // a rate window needs two 1 s scrapes
const COUNT = 2;
const NAMESPACES = ['app-a', 'app-b', 'app-c', 'app-d'];
const WORKLOADS = ['web', 'api', 'db'];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export default async function bench(): Promise<void> {
  const mesh = new MeshTelemetryStandin(
    async () =>
      NAMESPACES.flatMap((namespace) => WORKLOADS.map((name) => ({ namespace, name, revision: '1-24-2' }))),
    { istiods: async () => ['1-24-2'] },
  );
  const { target } = await mesh.start();
  const prom = await startPrometheus([target], 1, istiodScrapeGroups(target, ['1-24-2']));
  const proxy = new CountingHttpProxy('127.0.0.1', prom.port);
  const url = await proxy.listen();
  try {
    const direct = new PrometheusClient({ url: prom.url });
    // a baseline window with data before the first "wave"
    for (let i = 0; i < 100; i++) {
      const v = (await direct.query('count_over_time(up{app="istiod"}[10s])'))[0]?.value ?? 0;
      if (v >= 6) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const analysis = new PrometheusWaveAnalysis(new PrometheusClient({ url }));
    const base: AnalysisSpec = {
      name: 'bench',
      intervalMs: INTERVAL_MS,
      count: COUNT,
      failureLimit: 0,
      baselineMs: 5_000,
      perWorkload: false,
      onFailure: 'pause',
      metrics: DEFAULT_METRICS,
      controlPlane: DEFAULT_CONTROL_PLANE,
    };
    const cases: [string, WaveAnalysisRequest][] = [
      [
        'wave 1: 1 namespace + control-plane gate',
        {
          spec: base,
          namespaces: ['app-a'],
          workloads: [],
          baselineEnd: '',
          controlPlane: { revision: '1-24-2' },
        },
      ],
      ['later wave: 1 namespace', { spec: base, namespaces: ['app-a'], workloads: [], baselineEnd: '' }],
      ['later wave: 4 namespaces', { spec: base, namespaces: NAMESPACES, workloads: [], baselineEnd: '' }],
      [
        'later wave: 4 namespaces, per workload (12)',
        {
          spec: { ...base, perWorkload: true },
          namespaces: NAMESPACES,
          workloads: NAMESPACES.flatMap((namespace) =>
            WORKLOADS.map((name) => ({ kind: 'Deployment' as const, namespace, name })),
          ),
          baselineEnd: '',
        },
      ],
    ];
    console.log(
      `real Prometheus ${prom.url} (1 s scrapes), interval ${INTERVAL_MS} ms × count ${COUNT} = ${INTERVAL_MS * COUNT} ms of waiting; ${RUNS} runs each`,
    );
    console.log(
      'case | verdict | median wall ms | added beyond interval×count (median, max) ms | queries per wave (wire / adapter)',
    );
    for (const [name, req] of cases) {
      const added: number[] = [];
      const wire: number[] = [];
      const counted: number[] = [];
      let verdict = '';
      let reason = '';
      for (let i = 0; i < RUNS; i++) {
        proxy.reset();
        const t0 = performance.now();
        const res = await analysis.analyze(
          { ...req, baselineEnd: new Date(Date.now() - 1_000).toISOString() },
          {},
        );
        const wall = performance.now() - t0;
        added.push(wall - INTERVAL_MS * COUNT);
        wire.push(proxy.total('/api/v1/query'));
        counted.push(res.queries);
        verdict = res.verdict;
        reason = res.reason;
      }
      console.log(
        `${name} | ${verdict}${verdict === 'passed' ? '' : ` (${reason})`} | ${median(added.map((a) => a + INTERVAL_MS * COUNT)).toFixed(0)} | ${median(added).toFixed(1)}, ${Math.max(...added).toFixed(1)} | ${median(wire)} / ${median(counted)}`,
      );
    }
    console.log(
      'queries per wave = baselines (metrics with a relative threshold, once) + count × (targets × metrics); the gate adds its 3 metrics (2 baselines) in wave 1',
    );
  } finally {
    await proxy.close();
    await prom.stop();
    await mesh.close();
  }
}
