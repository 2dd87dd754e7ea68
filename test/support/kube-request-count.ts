/**
 * Counting Kubernetes API requests (test glue for the scale benchmark): the KubeFaultProxy with no
 * faults is the loopback counting proxy in front of the real apiserver; this sorts its log by who
 * sent each request (the bot's client says `User-Agent: istio-upgrade-bot`; istioctl's Go client
 * says `istioctl/…`; the bot's watches carry the Watch helper's default agent; anything else, e.g.
 * the proxy-status stand-in behind the istioctl wrapper, is `other`) and by what it asked for.
 */
import { USER_AGENT } from '../../src/cluster/kube/client.js';
import type { ProxyStats } from './kube-fault-proxy.js';

export type Caller = 'bot' | 'istioctl' | 'other';

export interface RequestCount {
  /** Requests other than watches. */
  requests: number;
  watches: number;
  /** `VERB resource` (LIST/GET/PATCH/…, namespaces collapsed to `*`) → count. */
  byKind: Record<string, number>;
}

type Entry = ProxyStats['log'][number];

const isWatch = (e: Entry) => /[?&]watch=(true|1)/.test(e.path);

export function callerOf(e: Entry): Caller {
  if (e.agent.startsWith('istioctl')) return 'istioctl';
  if (e.agent === USER_AGENT || (isWatch(e) && !e.agent.includes('Go-http-client'))) return 'bot';
  return 'other';
}

/** `LIST deployments (all namespaces)`, `PATCH namespaces/*\/deployments/:name`, … */
export function kindOf(e: Entry): string {
  const [path = '', query = ''] = e.path.split('?');
  const parts = path.split('/').filter(Boolean);
  // /api/v1/… or /apis/<group>/<version>/…
  const rest = parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : parts;
  let where = 'all namespaces';
  if (rest[0] === 'namespaces' && rest.length > 2) {
    where = 'one namespace';
    rest.splice(0, 2);
  }
  const [resource = path, name, ...sub] = rest;
  const verb = isWatch(e) ? 'WATCH' : e.method === 'GET' ? (name ? 'GET' : 'LIST') : e.method;
  const selector = /labelSelector=/.test(query) ? ' (selector)' : '';
  if (!name) return `${verb} ${resource} (${resource === 'namespaces' ? 'cluster' : where})${selector}`;
  return `${verb} ${resource}/:name${sub.length ? `/${sub.join('/')}` : ''}`;
}

/** Counts of the log entries from `from` on (a wave's slice), by caller. */
export function countRequests(log: readonly Entry[], from = 0): Record<Caller, RequestCount> {
  const out: Record<Caller, RequestCount> = {
    bot: { requests: 0, watches: 0, byKind: {} },
    istioctl: { requests: 0, watches: 0, byKind: {} },
    other: { requests: 0, watches: 0, byKind: {} },
  };
  for (let i = from; i < log.length; i++) {
    const e = log[i]!;
    const c = out[callerOf(e)];
    if (isWatch(e)) c.watches++;
    else c.requests++;
    const k = kindOf(e);
    c.byKind[k] = (c.byKind[k] ?? 0) + 1;
  }
  return out;
}
