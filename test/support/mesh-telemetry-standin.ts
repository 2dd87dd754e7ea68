/**
 * STAND-IN for the mesh's telemetry — not Envoy, not Istio. It serves, in Prometheus' text format on
 * `/metrics`, what the sidecars of the given workloads would report with Istio's standard metric and
 * label names (istio.io/latest/docs/reference/config/metrics): `istio_requests_total` and the
 * `istio_request_duration_milliseconds` histogram (Istio's default buckets), `reporter="destination"`,
 * `destination_workload`, `destination_workload_namespace`, `response_code`, … for a steady request
 * rate per workload. Faults are set at run time per namespace and revision (a 5xx rate, a latency), and
 * apply to the requests a workload serves while its pods run that revision — so a fault can appear
 * only on pods of the new revision. Counters grow with the time between scrapes.
 * The workloads come from `source` (the stand-in cluster's state, or the test cluster's API).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TelemetryWorkload {
  namespace: string;
  name: string;
  /** The sidecar revision its pods run now (null: no sidecar, no telemetry). */
  revision: string | null;
}

export interface Fault {
  namespace: string;
  revision: string;
  /** Share of requests answered 503 (0..1). */
  errorRate?: number;
  /** Latency of every request, in ms (instead of the base latency). */
  latencyMs?: number;
}

/** Istio's default buckets for istio_request_duration_milliseconds. */
export const ISTIO_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

/** Faults of a revision's istiod (the control-plane gate): per second, while it is scraped. */
export interface IstiodFault {
  revision: string;
  /** xDS responses rejected by proxies (`pilot_total_xds_rejects{type="cds"}`). */
  xdsRejectsPerSec?: number;
  /** `pilot_xds_push_context_errors`. */
  pushContextErrorsPerSec?: number;
  /** Every push's `pilot_proxy_convergence_time`, in seconds (instead of the base 0.05 s). */
  convergenceSeconds?: number;
}

/** istiod's buckets for pilot_proxy_convergence_time (istio pilot/pkg/xds/monitoring.go). */
export const CONVERGENCE_BUCKETS = [0.1, 0.5, 1, 3, 5, 10, 20, 30];

interface IstiodSeries {
  last: number | null;
  rejects: number;
  contextErrors: number;
  buckets: number[];
  sum: number;
  count: number;
}

interface Series {
  ok: number;
  err: number;
  buckets: number[];
  sum: number;
}

export class MeshTelemetryStandin {
  private faults: Fault[] = [];
  private series = new Map<string, Series>();
  private last: number | null = null;
  private server: Server | null = null;
  /** Scrapes served (a test can wait for the next one instead of sleeping). */
  scrapes = 0;

  private istiodFaults: IstiodFault[] = [];
  private istiodSeries = new Map<string, IstiodSeries>();

  constructor(
    private readonly source: () => Promise<TelemetryWorkload[]>,
    private readonly o: {
      rps?: number;
      latencyMs?: number;
      now?: () => number;
      /** The istiod revisions running now (their `/istiod/<revision>/metrics`; others answer 404). */
      istiods?: () => Promise<string[]>;
      /** Pushes per second each istiod makes (each records one convergence time). */
      pushesPerSec?: number;
    } = {},
  ) {}

  setIstiodFault(f: IstiodFault): void {
    this.istiodFaults = [...this.istiodFaults.filter((x) => x.revision !== f.revision), f];
  }

  /**
   * What a revision's istiod serves on its monitoring port (15014): istio's names and types —
   * `pilot_total_xds_rejects` and `pilot_xds_push_context_errors` are counters (no `_total`: istio's
   * exporter is configured WithoutCounterSuffixes), shown only once incremented, as istio's OpenTelemetry
   * exporter does; `pilot_proxy_convergence_time` is a histogram in seconds. Null: not running.
   */
  async renderIstiod(revision: string): Promise<string | null> {
    if (!(await (this.o.istiods?.() ?? Promise.resolve([]))).includes(revision)) return null;
    const now = (this.o.now ?? Date.now)();
    const s = this.istiodSeries.get(revision) ?? {
      last: null,
      rejects: 0,
      contextErrors: 0,
      buckets: CONVERGENCE_BUCKETS.map(() => 0),
      sum: 0,
      count: 0,
    };
    this.istiodSeries.set(revision, s);
    const dt = s.last === null ? 0 : (now - s.last) / 1000;
    s.last = now;
    const f = this.istiodFaults.find((x) => x.revision === revision);
    s.rejects += (f?.xdsRejectsPerSec ?? 0) * dt;
    s.contextErrors += (f?.pushContextErrorsPerSec ?? 0) * dt;
    const pushes = (this.o.pushesPerSec ?? 2) * dt;
    const took = f?.convergenceSeconds ?? 0.05;
    CONVERGENCE_BUCKETS.forEach((le, i) => {
      if (took <= le) s.buckets[i]! += pushes;
    });
    s.sum += pushes * took;
    s.count += pushes;
    const out: string[] = [];
    if (s.rejects > 0)
      out.push(
        '# HELP pilot_total_xds_rejects Total number of XDS responses from pilot rejected by proxy.',
        '# TYPE pilot_total_xds_rejects counter',
        `pilot_total_xds_rejects{type="cds"} ${s.rejects.toFixed(3)}`,
      );
    if (s.contextErrors > 0)
      out.push(
        '# HELP pilot_xds_push_context_errors Number of errors (timeouts) initiating push context.',
        '# TYPE pilot_xds_push_context_errors counter',
        `pilot_xds_push_context_errors ${s.contextErrors.toFixed(3)}`,
      );
    if (s.count > 0) {
      out.push(
        '# HELP pilot_proxy_convergence_time Delay in seconds between config change and a proxy receiving all required configuration.',
        '# TYPE pilot_proxy_convergence_time histogram',
      );
      for (const [i, le] of CONVERGENCE_BUCKETS.entries())
        out.push(`pilot_proxy_convergence_time_bucket{le="${le}"} ${s.buckets[i]!.toFixed(3)}`);
      out.push(`pilot_proxy_convergence_time_bucket{le="+Inf"} ${s.count.toFixed(3)}`);
      out.push(`pilot_proxy_convergence_time_sum ${s.sum.toFixed(3)}`);
      out.push(`pilot_proxy_convergence_time_count ${s.count.toFixed(3)}`);
    }
    out.push('# TYPE pilot_xds gauge', 'pilot_xds{version="stand-in"} 1');
    return `${out.join('\n')}\n`;
  }

  setFault(f: Fault): void {
    this.faults = [...this.faults.filter((x) => x.namespace !== f.namespace || x.revision !== f.revision), f];
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Counts the traffic since the last call, then renders every series. */
  async render(): Promise<string> {
    const now = (this.o.now ?? Date.now)();
    const dt = this.last === null ? 0 : (now - this.last) / 1000;
    this.last = now;
    const rps = this.o.rps ?? 20;
    for (const w of await this.source()) {
      if (!w.revision) continue;
      const f = this.faults.find((x) => x.namespace === w.namespace && x.revision === w.revision);
      const key = `${w.namespace}\u0000${w.name}`;
      const s = this.series.get(key) ?? { ok: 0, err: 0, buckets: ISTIO_BUCKETS.map(() => 0), sum: 0 };
      this.series.set(key, s);
      const n = rps * dt;
      const errs = n * (f?.errorRate ?? 0);
      s.err += errs;
      s.ok += n - errs;
      const latency = f?.latencyMs ?? this.o.latencyMs ?? 20;
      ISTIO_BUCKETS.forEach((le, i) => {
        if (latency <= le) s.buckets[i]! += n;
      });
      s.sum += n * latency;
    }
    const out: string[] = [
      '# HELP istio_requests_total Total requests.',
      '# TYPE istio_requests_total counter',
    ];
    const hist: string[] = [
      '# HELP istio_request_duration_milliseconds Request duration.',
      '# TYPE istio_request_duration_milliseconds histogram',
    ];
    for (const [key, s] of this.series) {
      const [ns, name] = key.split('\u0000') as [string, string];
      const base = labels(ns, name);
      out.push(`istio_requests_total{${base},response_code="200",response_flags="-"} ${s.ok.toFixed(3)}`);
      out.push(`istio_requests_total{${base},response_code="503",response_flags="-"} ${s.err.toFixed(3)}`);
      const total = s.ok + s.err;
      for (const [i, le] of ISTIO_BUCKETS.entries())
        hist.push(
          `istio_request_duration_milliseconds_bucket{${base},le="${le}"} ${s.buckets[i]!.toFixed(3)}`,
        );
      hist.push(`istio_request_duration_milliseconds_bucket{${base},le="+Inf"} ${total.toFixed(3)}`);
      hist.push(`istio_request_duration_milliseconds_sum{${base}} ${s.sum.toFixed(3)}`);
      hist.push(`istio_request_duration_milliseconds_count{${base}} ${total.toFixed(3)}`);
    }
    return `${[...out, ...hist].join('\n')}\n`;
  }

  async start(): Promise<{ port: number; target: string }> {
    this.server = createServer((req, res) => {
      const istiod = /^\/istiod\/([a-z0-9-]+)\/metrics$/.exec(req.url ?? '');
      if (istiod) {
        this.renderIstiod(istiod[1]!).then(
          (text) =>
            text === null
              ? res.writeHead(404).end()
              : res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
          (e: unknown) => res.writeHead(500).end(String(e)),
        );
        return;
      }
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.render().then(
        (text) => {
          this.scrapes++;
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
        },
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return { port, target: `127.0.0.1:${port}` };
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** The labels Istio's destination reporter puts on both metrics (a service per workload). */
function labels(ns: string, name: string): string {
  const l: Record<string, string> = {
    reporter: 'destination',
    source_workload: 'istio-ingressgateway',
    source_workload_namespace: 'istio-system',
    source_app: 'istio-ingressgateway',
    source_cluster: 'Kubernetes',
    destination_workload: name,
    destination_workload_namespace: ns,
    destination_app: name,
    destination_version: 'v1',
    destination_service: `${name}.${ns}.svc.cluster.local`,
    destination_service_name: name,
    destination_service_namespace: ns,
    destination_cluster: 'Kubernetes',
    request_protocol: 'http',
    connection_security_policy: 'mutual_tls',
  };
  return Object.entries(l)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
}

/**
 * The scrape targets of the istiods of `revisions` on the stand-in at `target`, labelled as Istio's
 * sample Prometheus labels a pod it scrapes (job `kubernetes-pods`: a labelmap of the pod's labels,
 * `app=istiod` and `istio.io/rev` → `istio_io_rev`, plus `namespace` and `pod`).
 */
export function istiodScrapeGroups(target: string, revisions: string[]) {
  return revisions.map((rev) => ({
    targets: [target],
    labels: {
      __metrics_path__: `/istiod/${rev}/metrics`,
      app: 'istiod',
      istio: 'pilot',
      istio_io_rev: rev,
      namespace: 'istio-system',
      pod: `istiod-${rev}-7d4b9c8f6-x2x9q`,
    },
  }));
}
