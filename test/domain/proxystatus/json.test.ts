import { describe, expect, it } from 'vitest';
import { parseProxyStatus } from '../../../src/domain/proxystatus/index.js';
import { byPod, fixture, parseOk } from './helpers.js';

describe('istioctl ps -o json (1.30+): concatenated DiscoveryResponses', () => {
  const s = parseOk(fixture('json-1.30.json'));

  it('reads every istiod document of the stream', () => {
    expect(s.format).toBe('json-1.30');
    expect(s.proxies.map((p) => `${p.namespace}/${p.pod}@${p.istiod}`)).toEqual([
      'shop/cart-6c9d8f7b5c-4kz2p@istiod-1-29-1-5c6b8d7f9c-h2k4m',
      'shop/checkout-5f7b9c6d8b-m4v7z@istiod-1-30-0-6f8d9c7b5f-x9z2q',
      'istio-system/ztunnel-4vq5l@istiod-1-30-0-6f8d9c7b5f-x9z2q',
    ]);
  });

  it('takes cluster and version from node metadata, revision from controlPlane.identifier ID', () => {
    expect(byPod(s, 'cart-6c9d8f7b5c-4kz2p')).toMatchObject({
      cluster: 'Kubernetes',
      version: '1.29.1',
      revision: '1-29-1',
      workload: 'cart',
      synced: true,
    });
  });

  it('short type names from typeUrl; NOT_SENT → NOT SENT; omitted configStatus (UNKNOWN) → IGNORED', () => {
    const p = byPod(s, 'checkout-5f7b9c6d8b-m4v7z');
    expect(p.xds).toEqual({ CDS: 'SYNCED', LDS: 'SYNCED', EDS: 'STALE', RDS: 'NOT SENT', ECDS: 'IGNORED' });
    expect(p.synced).toBe(false);
    expect(byPod(s, 'ztunnel-4vq5l').xds).toEqual({ WDS: 'SYNCED' });
  });

  it('a broken document is reported at its line', () => {
    const text = fixture('json-1.30.json').replace('"nonce": "5e6f', '"nonce": 5e6f');
    const r = parseProxyStatus(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('BAD_JSON');
      expect(text.split('\n')[r.error.line - 1]).toContain('"nonce": 5e6f');
    }
  });

  it('an unterminated stream and junk between documents are errors', () => {
    expect(parseProxyStatus('{"resources": [\n')).toMatchObject({
      ok: false,
      error: { code: 'BAD_JSON', line: 1 },
    });
    expect(parseProxyStatus('{}\nnope\n')).toMatchObject({ ok: false, error: { code: 'BAD_JSON', line: 2 } });
  });

  it('an object that is no DiscoveryResponse ({} or another JSON file) is a BAD_RECORD, not an empty mesh', () => {
    for (const text of ['{}', '{"apiVersion": "v1", "kind": "Pod"}']) {
      const r = parseProxyStatus(text);
      expect(r).toMatchObject({ ok: false, error: { code: 'BAD_RECORD', line: 1 } });
      if (!r.ok) expect(r.error.message).toContain('istioctl ps -o json');
    }
    // an istiod with no proxies connected: no resources, but still a DiscoveryResponse
    const empty = { versionInfo: '1', typeUrl: 'istio.io/debug/syncz', controlPlane: { identifier: '{}' } };
    expect(parseOk(JSON.stringify(empty)).proxies).toEqual([]);
  });

  it('a node id that is not pod.namespace is a BAD_RECORD', () => {
    const doc = { resources: [{ node: { id: 'router~10.0.0.1' }, genericXdsConfigs: [] }] };
    expect(parseProxyStatus(JSON.stringify(doc))).toMatchObject({ ok: false, error: { code: 'BAD_RECORD' } });
  });
});

describe('istiod /debug/syncz', () => {
  it('sent == acked → SYNCED, never sent → NOT SENT, sent but not acked → STALE', () => {
    const s = parseOk(fixture('syncz.json'));
    expect(s.format).toBe('syncz');
    expect(byPod(s, 'sleep-557747455f-ntclb').xds).toEqual({
      CDS: 'SYNCED',
      LDS: 'SYNCED',
      EDS: 'SYNCED',
      RDS: 'SYNCED',
      ECDS: 'NOT SENT',
    });
    expect(byPod(s, 'fortio-deploy-687945c6dc-h9gw8')).toMatchObject({
      synced: false,
      workload: 'fortio-deploy',
    });
    expect(byPod(s, 'fortio-deploy-687945c6dc-h9gw8').xds.RDS).toBe('STALE');
  });

  it('without a hint istiod is null and revision unknown; --istiod supplies both', () => {
    const bare = parseOk(fixture('syncz.json'));
    expect(bare.proxies.map((p) => [p.istiod, p.revision])[0]).toEqual([null, 'unknown']);
    const hinted = parseOk(fixture('syncz.json'), { istiod: 'istiod-1-21-2-5d9f8c7b6d-k2m4n' });
    expect(new Set(hinted.proxies.map((p) => p.revision))).toEqual(new Set(['1-21-2']));
  });

  it('falls back to proxy_version followed by * like istioctl, and a missing cluster_id is null', () => {
    expect(byPod(parseOk(fixture('syncz.json')), 'legacy-0')).toMatchObject({
      version: '2b3ffa1a0d5a0a0e0f6e1c2b*',
      cluster: null,
      workload: 'legacy',
    });
  });

  it('an array of non-objects is a BAD_RECORD', () => {
    expect(parseProxyStatus('[1, 2]')).toMatchObject({ ok: false, error: { code: 'BAD_RECORD' } });
  });
});
