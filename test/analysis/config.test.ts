// The analysis settings: the spec in the policy per cluster (Flagger's defaults filled in), Prometheus
// from the environment, and the problems reported with the variable to fix.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { DEFAULT_CONTROL_PLANE, DEFAULT_METRICS } from '../../src/domain/upgrade/analysis.js';

const policy = (analysis: unknown) =>
  JSON.stringify({
    requesters: ['U1'],
    approvers: ['U2'],
    clusters: { prod: { channels: ['C1'], analysis } },
  });
const env = (over: Record<string, string>) => ({
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_APP_TOKEN: 'xapp-1',
  CLUSTERS: 'prod=ctx,staging=ctx2',
  ...over,
});

describe('analysis configuration', () => {
  it('fills Flagger’s defaults and reads durations; PROMETHEUS_URLS overrides per cluster', () => {
    const c = loadConfig(
      env({
        POLICY_JSON: policy({ interval: '30s', onFailure: 'rollback' }),
        PROMETHEUS_URLS: 'prod=http://prom-prod:9090/base?x=1',
      }),
    );
    if (!c.ok) throw new Error(c.error.join('\n'));
    expect(c.value.policy.clusters.prod!.analysis).toEqual({
      name: 'default',
      intervalMs: 30_000,
      count: 5,
      failureLimit: 1,
      baselineMs: 600_000,
      perWorkload: false,
      onFailure: 'rollback',
      metrics: DEFAULT_METRICS,
      controlPlane: DEFAULT_CONTROL_PLANE,
    });
    expect(c.value.PROMETHEUS_URLS).toEqual({ prod: 'http://prom-prod:9090/base?x=1' });
    expect(c.value.PROMETHEUS_TIMEOUT).toBe(10_000);
  });

  it('named analyses, --analysis none, progressive mode and the control-plane gate in the policy', () => {
    const c = loadConfig(
      env({
        POLICY_JSON: JSON.stringify({
          requesters: ['U1'],
          approvers: ['U2'],
          clusters: {
            prod: {
              channels: ['C1'],
              analysis: { controlPlane: { selector: 'job="istiod",revision="{{revision}}"' } },
              analyses: { strict: { failureLimit: 0, controlPlane: false } },
              analysisOptional: true,
              progressive: { bakeTime: '15m', autoFinish: true },
            },
          },
        }),
        PROMETHEUS_URL: 'http://p:9090',
      }),
    );
    if (!c.ok) throw new Error(c.error.join('\n'));
    const prod = c.value.policy.clusters.prod!;
    expect(prod.analysis?.controlPlane).toEqual({
      selector: 'job="istiod",revision="{{revision}}"',
      metrics: DEFAULT_CONTROL_PLANE.metrics,
    });
    expect(prod.analyses?.strict).toMatchObject({ name: 'strict', failureLimit: 0 });
    expect(prod.analyses?.strict?.controlPlane).toBeUndefined();
    expect(prod.analysisOptional).toBe(true);
    expect(prod.progressive).toEqual({ bakeMs: 900_000, autoFirstWave: false, autoFinish: true });
  });

  // [why, env, expected problem]
  const bad: [string, Record<string, string>, RegExp][] = [
    [
      'an analysis without any Prometheus',
      { POLICY_JSON: policy({}) },
      /^PROMETHEUS_URL: the policy asks for a traffic analysis on prod/,
    ],
    [
      'a metric without a threshold',
      {
        POLICY_JSON: policy({ metrics: [{ name: 'x', query: 'up', unit: '%' }] }),
        PROMETHEUS_URL: 'http://p:9090',
      },
      /give the metric a threshold/,
    ],
    [
      'progressive mode without an analysis',
      {
        POLICY_JSON: JSON.stringify({
          requesters: ['U1'],
          approvers: ['U2'],
          clusters: { prod: { channels: ['C1'], progressive: { bakeTime: '5m' } } },
        }),
      },
      /progressive.*give the cluster an `analysis` too/,
    ],
    [
      'an analysis named none',
      {
        POLICY_JSON: JSON.stringify({
          requesters: ['U1'],
          approvers: ['U2'],
          clusters: { prod: { channels: ['C1'], analyses: { none: {} } } },
        }),
        PROMETHEUS_URL: 'http://p:9090',
      },
      /"none" is reserved/,
    ],
    [
      'a bad duration',
      { POLICY_JSON: policy({ baseline: 'soon' }), PROMETHEUS_URL: 'http://p:9090' },
      /baseline: "soon" is not a duration/,
    ],
    [
      'an unknown onFailure',
      { POLICY_JSON: policy({ onFailure: 'ignore' }), PROMETHEUS_URL: 'http://p:9090' },
      /onFailure/,
    ],
    [
      'a malformed PROMETHEUS_URLS',
      { POLICY_JSON: policy(undefined), PROMETHEUS_URLS: 'prod' },
      /PROMETHEUS_URLS: "prod" must be CLUSTER=URL/,
    ],
    [
      'PROMETHEUS_URLS naming an unknown cluster',
      { POLICY_JSON: policy(undefined), PROMETHEUS_URLS: 'dev=http://p:9090' },
      /PROMETHEUS_URLS: clusters dev are not in CLUSTERS/,
    ],
    [
      'both auth files',
      {
        POLICY_JSON: policy(undefined),
        PROMETHEUS_BEARER_TOKEN_FILE: '/a',
        PROMETHEUS_BASIC_AUTH_FILE: '/b',
      },
      /either a bearer token file or a basic-auth file/,
    ],
  ];
  it.each(bad)('refuses %s', (_why, e, want) => {
    const c = loadConfig(env(e));
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.error.some((p) => want.test(p))).toBe(true);
  });
});
