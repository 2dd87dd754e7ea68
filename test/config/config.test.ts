import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.js';
import { formatConfigErrors, loadConfig } from '../../src/config/index.js';

const POLICY = JSON.stringify({
  requesters: ['U1'],
  approvers: ['S1'],
  clusters: { prod: { channels: ['C1'] } },
});
const base = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'abcdefabcdef',
  CLUSTERS: 'prod=ctx-prod,dev=ctx-dev',
  POLICY_JSON: POLICY,
};

describe('loadConfig', () => {
  it('fills defaults', () => {
    const r = loadConfig(base);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      ROLE: 'all',
      PORT: 3000,
      REDIS_URL: 'redis://127.0.0.1:6379',
      DEFAULT_CLUSTER: 'prod',
      APPROVAL_TTL: 24 * 3_600_000,
      GRACE_PERIOD: 600_000,
      CLUSTERS: [
        { name: 'prod', context: 'ctx-prod' },
        { name: 'dev', context: 'ctx-dev' },
      ],
    });
    expect(r.value.policy.fourEyes).toBe(true);
    // Not "*": operators and approvers, unless the policy names others.
    expect(r.value.policy.incidentResponders).toEqual(['S1']);
  });

  it('incidentResponders: operators and approvers by default; "*" and [] only when written', () => {
    const responders = (extra: Record<string, unknown>) => {
      const r = loadConfig({
        ...base,
        POLICY_JSON: JSON.stringify({ ...JSON.parse(POLICY), operators: ['U9', 'S1'], ...extra }),
      });
      if (!r.ok) throw new Error(r.error.join('\n'));
      return r.value.policy.incidentResponders;
    };
    expect(responders({})).toEqual(['U9', 'S1']);
    expect(responders({ incidentResponders: ['*'] })).toEqual(['*']);
    expect(responders({ incidentResponders: [] })).toEqual([]);
    const bad = loadConfig({
      ...base,
      POLICY_JSON: JSON.stringify({ ...JSON.parse(POLICY), incidentResponders: ['bob'] }),
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.join('\n')).toMatch(/incidentResponders\.0: a Slack user id/);
  });

  it('ISTIO_HELM_REPO: a URL no parser reads is refused, not replaced by the official repository', () => {
    for (const ok of ['https://charts.example.com/istio', 'oci://ghcr.io/istio/release/charts'])
      expect(loadConfig({ ...base, ISTIO_HELM_REPO: ok }).ok).toBe(true);
    for (const bad of ['https://charts.example.com:99999/istio', 'https://[/charts', 'ftp://x/charts']) {
      const r = loadConfig({ ...base, ISTIO_HELM_REPO: bad });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.join('\n')).toMatch(/ISTIO_HELM_REPO/);
    }
  });

  it('ISTIO_HELM_REPO: credentials in the URL are user:password or refused, and the answer never quotes them', () => {
    for (const ok of [
      'https://bot:s3cr%23t@charts.example.com/istio',
      'oci://bot:s3cret@registry.example.com/istio/charts',
    ])
      expect(loadConfig({ ...base, ISTIO_HELM_REPO: ok }).ok).toBe(true);
    for (const bad of [
      'https://s3cret-token@charts.example.com/istio',
      'https://:s3cret@charts.example.com/istio',
      'https://bot:s3cret%E0%A4%A@charts.example.com/istio',
    ]) {
      const r = loadConfig({ ...base, ISTIO_HELM_REPO: bad });
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      const text = formatConfigErrors(r.error);
      expect(text).toMatch(/ISTIO_HELM_REPO: credentials in the URL must be user:password@/);
      expect(text).not.toContain('s3cret');
    }
    // a password with a raw `#` cuts the URL short: refused, and not quoted either
    const r = loadConfig({ ...base, ISTIO_HELM_REPO: 'https://bot:s3c#ret@charts.example.com/istio' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.join('\n')).toMatch(/ISTIO_HELM_REPO: not a valid URL .*percent-encode/);
      expect(r.error.join('\n')).not.toContain('s3c');
    }
  });

  it('lists every problem at once, each naming its variable', () => {
    const r = loadConfig({
      SLACK_BOT_TOKEN: 'xoxp-user-token',
      ROLE: 'everything',
      PORT: '70000',
      APPROVAL_TTL: 'soon',
      CLUSTERS: 'Prod=ctx',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.error.join('\n');
    for (const name of [
      'SLACK_BOT_TOKEN',
      'ROLE',
      'PORT',
      'APPROVAL_TTL',
      'CLUSTERS',
      'SLACK_SIGNING_SECRET',
      'POLICY_FILE',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/"soon" is not a duration; write e\.g\. 90s/);
    expect(formatConfigErrors(r.error)).toMatch(/cannot start: \d+ problem/);
    expect(formatConfigErrors(r.error)).not.toContain('xoxp-user-token');
  });

  it('Socket Mode needs no signing secret; a worker needs neither', () => {
    const { SLACK_SIGNING_SECRET: _s, ...rest } = base;
    expect(loadConfig({ ...rest, SLACK_APP_TOKEN: 'xapp-1-abc' }).ok).toBe(true);
    expect(loadConfig({ ...rest, ROLE: 'worker' }).ok).toBe(true);
    expect(loadConfig(rest).ok).toBe(false);
  });

  it.each([
    ['not json', /POLICY_JSON: not valid JSON/],
    [JSON.stringify({ requesters: [], approvers: ['S1'], clusters: {} }), /POLICY_JSON\.requesters/],
    [
      JSON.stringify({ requesters: ['bob'], approvers: ['S1'], clusters: {} }),
      /POLICY_JSON\.requesters\.0: .*Slack user id/,
    ],
    [
      JSON.stringify({ requesters: ['U1'], approvers: ['S1'], clusters: { staging: { channels: ['C1'] } } }),
      /staging are not in CLUSTERS/,
    ],
    [
      JSON.stringify({ requesters: ['U1'], approvers: ['S1'], clusters: {}, approver: [] }),
      /Unrecognized key/,
    ],
  ])('refuses a bad policy %#', (policy, msg) => {
    const r = loadConfig({ ...base, POLICY_JSON: policy });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.join('\n')).toMatch(msg);
  });

  it('reads POLICY_FILE and says when it cannot', () => {
    const { POLICY_JSON: _p, ...rest } = base;
    expect(loadConfig({ ...rest, POLICY_FILE: '/p.json' }, () => POLICY).ok).toBe(true);
    const r = loadConfig({ ...rest, POLICY_FILE: '/missing.json' }, () => {
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    });
    expect(r).toEqual({ ok: false, error: ['POLICY_FILE: cannot read /missing.json: ENOENT'] });
  });

  it('refuses a DEFAULT_CLUSTER that is not configured', () => {
    const r = loadConfig({ ...base, DEFAULT_CLUSTER: 'staging' });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error.join()).toMatch(/DEFAULT_CLUSTER: "staging" is not one of CLUSTERS \(prod, dev\)/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
    ['250ms', 250],
    ['1500', 1500],
    ['soon', null],
    ['10 m', null],
    ['', null],
  ])('%j → %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
