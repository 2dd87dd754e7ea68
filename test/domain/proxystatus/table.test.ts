import { describe, expect, it } from 'vitest';
import { parseProxyStatus } from '../../../src/domain/proxystatus/index.js';
import { byPod, fixture, parseOk } from './helpers.js';

describe('proxy-status tables, every istioctl version', () => {
  it.each([
    ['table-1.7.txt', 'table-1.12', 8, ['CDS', 'LDS', 'EDS', 'RDS']],
    ['table-1.10-revision.txt', 'table-1.12', 4, ['CDS', 'LDS', 'EDS', 'RDS']],
    ['table-1.13.txt', 'table-1.13', 2, ['CDS', 'LDS', 'EDS', 'RDS']],
    ['table-1.20.txt', 'table-1.14', 4, ['CDS', 'LDS', 'EDS', 'RDS', 'ECDS']],
    ['table-1.24.txt', 'table-1.14', 5, ['CDS', 'LDS', 'EDS', 'RDS', 'ECDS']],
    ['table-1.27.txt', 'table-1.27', 6, []],
    ['table-1.27-verbose.txt', 'table-1.27-verbose', 2, ['CDS', 'ECDS', 'EDS', 'LDS', 'RDS']],
  ])('%s → %s, %i proxies, types as the header spells them', (file, format, count, types) => {
    const s = parseOk(fixture(file));
    expect(s.format).toBe(format);
    expect(s.proxies).toHaveLength(count);
    for (const p of s.proxies) expect(Object.keys(p.xds)).toEqual(types);
  });

  it('≤1.12: NAME splits into pod and namespace, no cluster, revision default for istiod-<hash>', () => {
    const p = byPod(parseOk(fixture('table-1.7.txt')), 'istio-ingressgateway-66c994c45c-cmb7x');
    expect(p).toEqual({
      pod: 'istio-ingressgateway-66c994c45c-cmb7x',
      namespace: 'istio-system',
      workload: 'istio-ingressgateway',
      cluster: null,
      istiod: 'istiod-6cf8d4f9cb-wm7x6',
      revision: 'default',
      version: '1.7.0',
      xds: { CDS: 'SYNCED', LDS: 'SYNCED', EDS: 'SYNCED', RDS: 'NOT SENT' },
      synced: true,
    });
  });

  it('revision comes from the istiod pod name', () => {
    const s = parseOk(fixture('table-1.10-revision.txt'));
    expect(new Set(s.proxies.map((p) => p.revision))).toEqual(new Set(['1-10-3']));
    expect(byPod(s, 'istio-ingressgateway-1-7ccb8dfc57-rj7hm').workload).toBe('istio-ingressgateway-1');
  });

  it('1.13: an empty CLUSTER cell does not shift the state columns; STALE (Never Acknowledged) → STALE', () => {
    const s = parseOk(fixture('table-1.13.txt'));
    const prom = byPod(s, 'prometheus-8d4666f69-5qtrc');
    expect(prom.cluster).toBeNull();
    expect(prom.xds).toEqual({ CDS: 'SYNCED', LDS: 'SYNCED', EDS: 'SYNCED', RDS: 'STALE' });
    expect(prom.synced).toBe(false);
    expect(prom.revision).toBe('istio-1611');
    expect(prom.version).toBe('1.6.14-gke.0');
    expect(byPod(s, 'web-0').cluster).toBe('Kubernetes');
  });

  it('1.23+: durations dropped, IGNORED kept, two revisions side by side', () => {
    const s = parseOk(fixture('table-1.24.txt'));
    expect(byPod(s, 'redis-0').xds.EDS).toBe('STALE');
    expect(byPod(s, 'redis-0').synced).toBe(false);
    expect(byPod(s, 'cart-6c9d8f7b5c-4kz2p').xds).toEqual({
      CDS: 'SYNCED',
      LDS: 'SYNCED',
      EDS: 'SYNCED',
      RDS: 'SYNCED',
      ECDS: 'IGNORED',
    });
    expect(byPod(s, 'ztunnel-4vq5l').synced).toBe(true);
    expect(s.proxies.map((p) => p.revision)).toEqual(['1-24-2', '1-22-1', '1-24-2', '1-24-2', '1-24-2']);
  });

  it('1.27 default table carries no sync state: xds empty, synced null', () => {
    const s = parseOk(fixture('table-1.27.txt'));
    const p = byPod(s, 'details-v1-684d4f87d4-89q6q');
    expect(p).toMatchObject({
      namespace: 'default',
      workload: 'details-v1',
      version: '1.22.3',
      cluster: 'Kubernetes',
    });
    expect(p.xds).toEqual({});
    expect(p.synced).toBeNull();
  });

  it('a header with SUBSCRIBED TYPES and type columns is read as the verbose table too', () => {
    const lines = fixture('table-1.27.txt').split('\n');
    const extra = `${lines[0]}     CDS\n${lines[1]}     STALE (3s)\n`;
    const s = parseOk(extra);
    expect(s.format).toBe('table-1.27-verbose');
    expect(s.proxies[0]).toMatchObject({ xds: { CDS: 'STALE' }, synced: false });
  });

  it('1.27 -v 1: per-type columns; ERROR makes synced false', () => {
    const p = byPod(parseOk(fixture('table-1.27-verbose.txt')), 'istio-egressgateway-7c6d4847b8-sg5kd');
    expect(p.xds).toEqual({ CDS: 'SYNCED', ECDS: 'IGNORED', EDS: 'SYNCED', LDS: 'ERROR', RDS: 'IGNORED' });
    expect(p.synced).toBe(false);
  });
});

describe('nasty tables', () => {
  const clean = parseOk(fixture('table-1.24.txt'));

  it.each(['nasty-crlf.txt', 'nasty-ansi.txt', 'nasty-trailing-blanks.txt'])(
    '%s parses like the clean table',
    (f) => {
      expect(parseOk(fixture(f))).toEqual(clean);
    },
  );

  it('ANSI codes added before layout (misaligned once stripped) still map cell by cell', () => {
    const s = parseOk(fixture('nasty-ansi-prelayout.txt'));
    expect(byPod(s, 'redis-0').xds).toMatchObject({ CDS: 'SYNCED', LDS: 'STALE' });
    expect(byPod(s, 'redis-1').xds.CDS).toBe('NOT SENT');
  });

  it('unknown extra columns are ignored; odd VERSION values are kept as given', () => {
    const s = parseOk(fixture('nasty-extra-columns.txt'));
    expect(s.format).toBe('table-1.14');
    expect(s.proxies.map((p) => p.version)).toEqual([
      '1.24.2-distroless',
      '1.9.0*',
      'master-2024-06-02T19-03-25',
    ]);
    expect(Object.keys(byPod(s, 'api-64d9fd78f5-7v2dg').xds)).toEqual(['CDS', 'LDS', 'EDS', 'RDS', 'ECDS']);
    expect(byPod(s, 'waypoint-54bdb68ccd-npw9d').xds.RDS).toBe('NOT SENT');
  });

  it('a line that does not parse is reported with its line number, not thrown', () => {
    const r = parseProxyStatus(fixture('nasty-bad-line.txt'));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('BAD_ROW');
      expect(r.error.line).toBe(4);
      expect(r.error.message).toContain('error: failed to port-forward');
    }
  });

  it('warnings before the header are skipped; a second table (ps -r per revision) is read too', () => {
    const s = parseOk(fixture('nasty-preamble-two-tables.txt'));
    expect(s.proxies.map((p) => `${p.namespace}/${p.workload}@${p.revision}`)).toEqual([
      'pay/pay-api@1-22-1',
      'shop/cart@1-24-2',
    ]);
  });

  it.each([
    ['', 'EMPTY_INPUT', 1],
    ['\n  \n', 'EMPTY_INPUT', 1],
    ['hello world\nthis is not a table\n', 'UNKNOWN_FORMAT', 1],
    ['NAME     CDS     VERSION\nx.y     SYNCED     1.0\n', 'MISSING_COLUMN', 1],
    ['NAME     CDS        ISTIOD     VERSION\nfoo.bar     BANANA     istiod-x     1.0\n', 'BAD_ROW', 2],
    ['NAME     CDS        ISTIOD     VERSION\nnodot     SYNCED     istiod-x     1.0\n', 'BAD_ROW', 2],
  ])('bad input %j → %s at line %i', (text, code, line) => {
    const r = parseProxyStatus(text);
    expect(r).toMatchObject({ ok: false, error: { code, line } });
  });

  it('NOT_SENT and UNKNOWN from the xDS writers normalise to NOT SENT and IGNORED', () => {
    const t =
      'NAME     CDS          LDS         EDS     RDS     ISTIOD     VERSION\na-0.ns     NOT_SENT     UNKNOWN     ERROR     SYNCED (100%)     istiod-canary-6b8f9c7d5f-x2z4q     1.12.0\n';
    const p = parseOk(t).proxies[0]!;
    expect(p.xds).toEqual({ CDS: 'NOT SENT', LDS: 'IGNORED', EDS: 'ERROR', RDS: 'SYNCED' });
    expect(p.revision).toBe('canary');
  });
});

describe('fast and slow table paths agree', () => {
  it.each(['table-1.7.txt', 'table-1.24.txt', 'table-1.27.txt', 'table-1.27-verbose.txt', 'wave-after.txt'])(
    '%s parses the same with tab separators (tokenized path) as aligned (cached path)',
    (file) => {
      const aligned = parseOk(fixture(file));
      const tabbed = fixture(file)
        .split('\n')
        .map((l) => l.trimEnd().split(/ {2,}/).join('\t'))
        .join('\n');
      const viaTabs = parseOk(tabbed);
      expect(viaTabs).toEqual(aligned); // (an empty cell cannot be written this way, so 1.13 is left out)
    },
  );

  it('a row repeating an earlier row after NAME still gets its own pod, namespace and workload', () => {
    const s = parseOk(fixture('wave-before.txt'));
    const cart = s.proxies.filter((p) => p.workload === 'cart');
    expect(cart.map((p) => p.pod)).toEqual(['cart-6c9d8f7b5c-4kz2p', 'cart-6c9d8f7b5c-9hj2k']);
    expect(cart[0]!.xds).toBe(cart[1]!.xds); // identical states share one frozen object
    expect(Object.isFrozen(cart[0]!.xds)).toBe(true);
  });
});

describe('type columns istioctl has no short name for', () => {
  it('a full type URL header becomes its short name, as in -o json', () => {
    const t =
      'NAME           CLUSTER        CDS        type.googleapis.com/istio.workload.Address     ISTIOD                      VERSION\n' +
      'ztunnel-4vq5l.istio-system     Kubernetes     IGNORED     SYNCED (3s)                                    istiod-7d4f74889d-mb5dh     1.28.0\n';
    expect(parseOk(t).proxies[0]!.xds).toEqual({ CDS: 'IGNORED', WDS: 'SYNCED' });
  });
});
