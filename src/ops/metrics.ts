/**
 * Prometheus metrics. The engine and the Slack layer don't know about them: the composition root
 * observes the notifier's events and decorates the service, so metrics are one concern in one place.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { UpgradeRecord } from '../domain/upgrade/record.js';
import type { UpgradeService } from '../engine/api.js';
import type { Notifier, UpgradeEvent } from '../engine/ports.js';

export interface Metrics {
  registry: Registry;
  upgrades: Gauge;
  waveSeconds: Histogram;
  approvals: Counter;
  refusals: Counter;
  slackErrors: Counter;
  kubeErrors: Counter;
}

export function createMetrics(listUpgrades?: () => Promise<UpgradeRecord[]>): Metrics {
  const registry = new Registry();
  const upgrades = new Gauge({
    name: 'istio_upgrade_bot_upgrades',
    help: 'Upgrades by state (the most recent 500 records)',
    labelNames: ['state', 'cluster'],
    registers: [registry],
    async collect() {
      if (!listUpgrades) return;
      this.reset();
      for (const r of await listUpgrades()) this.inc({ state: r.state, cluster: r.cluster });
    },
  });
  return {
    registry,
    upgrades,
    waveSeconds: new Histogram({
      name: 'istio_upgrade_bot_wave_duration_seconds',
      help: 'Time from a wave starting to its diff being posted',
      labelNames: ['cluster'],
      buckets: [10, 30, 60, 120, 300, 600, 1200, 1800, 3600],
      registers: [registry],
    }),
    approvals: new Counter({
      name: 'istio_upgrade_bot_approvals_total',
      help: 'Approval decisions by outcome (approved, rolled_back, paused, expired)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'istio_upgrade_bot_refusals_total',
      help: 'Requests refused, by action and reason code',
      labelNames: ['action', 'code'],
      registers: [registry],
    }),
    slackErrors: new Counter({
      name: 'istio_upgrade_bot_slack_api_errors_total',
      help: 'Slack Web API calls that failed, by error',
      labelNames: ['error'],
      registers: [registry],
    }),
    kubeErrors: new Counter({
      name: 'istio_upgrade_bot_kubernetes_api_errors_total',
      help: 'Cluster calls that failed, by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
  };
}

/** A notifier that only observes: wave durations and approval outcomes. */
export function metricsObserver(m: Metrics): Notifier {
  return {
    async notify(e: UpgradeEvent) {
      if (e.type === 'wave_diff') {
        const w = e.record.waves.find((x) => x.index === e.wave);
        if (w?.startedAt) {
          const secs = (Date.now() - Date.parse(w.startedAt)) / 1000;
          if (Number.isFinite(secs) && secs >= 0) m.waveSeconds.observe({ cluster: e.record.cluster }, secs);
        }
      }
      if (e.type === 'approval_decided') {
        const last = e.record.decisions.at(-1);
        if (last) m.approvals.inc({ outcome: last.outcome });
      }
    },
  };
}

/** Fans one event out to several notifiers; an observer's failure never blocks the Slack notifier. */
export function fanOut(primary: Notifier, ...observers: Notifier[]): Notifier {
  return {
    async notify(e) {
      await Promise.all(observers.map((o) => o.notify(e).catch(() => undefined)));
      await primary.notify(e);
    },
  };
}

/** Counts refusals recorded by the Slack layer's policy checks and the engine's own refusals. */
export function countRefusals(service: UpgradeService, m: Metrics): UpgradeService {
  const wrap =
    <A extends unknown[], R extends { ok: true } | { ok: false; error: { code: string } }>(
      action: string,
      f: (...a: A) => Promise<R>,
    ) =>
    async (...a: A): Promise<R> => {
      const r = await f(...a);
      if (!r.ok) m.refusals.inc({ action, code: r.error.code });
      return r;
    };
  return {
    ...service,
    request: wrap('request', service.request.bind(service)),
    approve: wrap('approve', service.approve.bind(service)),
    rollback: wrap('rollback', service.rollback.bind(service)),
    pause: wrap('pause', service.pause.bind(service)),
    resume: wrap('resume', service.resume.bind(service)),
    abort: wrap('abort', service.abort.bind(service)),
    retry: wrap('retry', service.retry.bind(service)),
    unlock: wrap('unlock', service.unlock.bind(service)),
    async auditRefusal(id, actor, action, reason, cluster) {
      m.refusals.inc({ action, code: 'policy' });
      return service.auditRefusal(id, actor, action, reason, cluster);
    },
    get: service.get.bind(service),
    list: service.list.bind(service),
    refusals: service.refusals.bind(service),
  };
}
