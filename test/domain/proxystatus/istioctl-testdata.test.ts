// istioctl's own golden outputs (istioctl/pkg/writer/pilot/testdata of both test versions, copied
// byte for byte into test/fixtures/proxy-status/istio-<version>/; provenance in the README there),
// read by the bot's parser. Their Go test feeds node IDs without a namespace (`proxy1`), which a
// real istiod never reports (a proxy's ID is `<pod>.<namespace>`), and the parser rightly refuses
// such a row. So each file is checked twice: verbatim (refused, naming the line), and with `.<ns>`
// appended to every NAME and the table laid out again with Go's tabwriter rules — exactly what
// istioctl prints for those proxies — and then every cell is compared with the Go test's inputs.
import { describe, expect, it } from 'vitest';
import { parseProxyStatus } from '../../../src/domain/proxystatus/index.js';
import { tabwrite } from '../../support/proxy-status-standin.js';
import { byPod, fixture, parseOk } from './helpers.js';

/** Cells of a tabwriter table: separated by 2+ spaces (cells hold single spaces: `NOT SENT`). */
const cellsOf = (text: string): string[][] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(/ {2,}/));

/** Appends `.<ns>` to each NAME (first cell but the header's) and lays the table out again. */
function withNamespace(text: string, ns: string): string {
  const rows = cellsOf(text);
  return tabwrite(rows.map((r, i) => (i === 0 ? r : [`${r[0]}.${ns}`, ...r.slice(1)])));
}

const S = 'SYNCED';
const STALE = 'STALE';
const NS = 'NOT SENT';
const IGN = 'IGNORED';

describe("istioctl's testdata, verbatim", () => {
  it.each([
    'istio-1.25.3/multiXdsStatusMultiPilot.txt',
    'istio-1.25.3/multiXdsStatusSinglePilot.txt',
    'istio-1.31-dev/multiXdsStatusMultiPilot.txt',
    'istio-1.31-dev/multiXdsStatusMultiPilot_verbose.txt',
    'istio-1.31-dev/multiXdsStatusSinglePilot.txt',
  ])('%s: the stand-in’s tabwriter lays its cells out byte for byte as istioctl did', (file) => {
    const text = fixture(file);
    expect(tabwrite(cellsOf(text))).toBe(text.endsWith('\n') ? text : `${text}\n`);
  });

  it.each([
    ['istio-1.25.3/multiXdsStatusMultiPilot.txt', 'BAD_ROW', /NAME "proxy1" is not <pod>\.<namespace>/],
    ['istio-1.31-dev/multiXdsStatusSinglePilot.txt', 'BAD_ROW', /NAME "proxy1" is not <pod>\.<namespace>/],
    [
      'istio-1.31-dev/multiXdsStatusSinglePilot.json',
      'BAD_RECORD',
      /node\.id "proxy1" is not <pod>\.<namespace>/,
    ],
  ])('%s: a NAME without a namespace is refused (%s), naming the first proxy', (file, code, message) => {
    const r = parseProxyStatus(fixture(file));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(r.error.message).toMatch(message);
  });
});

describe("istioctl's testdata, with real proxy IDs (<pod>.<namespace>)", () => {
  it('1.25.3, several istiods: every state cell as the Go test fed it (UNKNOWN prints IGNORED)', () => {
    const s = parseOk(withNamespace(fixture('istio-1.25.3/multiXdsStatusMultiPilot.txt'), 'foo'));
    expect(s.format).toBe('table-1.14');
    const row = (pod: string) => {
      const p = byPod(s, pod);
      return [p.namespace, p.cluster, p.istiod, p.version, p.xds, p.synced];
    };
    expect(s.proxies.map((p) => p.pod)).toEqual(['proxy1', 'proxy2', 'proxy3', 'proxy4']);
    expect(row('proxy1')).toEqual([
      'foo',
      'cluster1',
      'istiod1',
      '1.20',
      { CDS: STALE, LDS: S, EDS: S, RDS: NS, ECDS: S },
      false,
    ]);
    expect(row('proxy2')).toEqual([
      'foo',
      'cluster2',
      'istiod2',
      '1.19',
      { CDS: STALE, LDS: S, EDS: STALE, RDS: S, ECDS: STALE },
      false,
    ]);
    expect(row('proxy3')).toEqual([
      'foo',
      'cluster3',
      'istiod3',
      '1.20',
      { CDS: NS, LDS: 'ERROR', EDS: STALE, RDS: NS, ECDS: NS },
      false,
    ]);
    expect(row('proxy4')).toEqual([
      'foo',
      'cluster4',
      'istiod4',
      '1.20',
      { CDS: IGN, LDS: IGN, EDS: IGN, RDS: IGN, ECDS: IGN },
      true,
    ]);
  });

  it('1.25.3, one istiod', () => {
    const s = parseOk(withNamespace(fixture('istio-1.25.3/multiXdsStatusSinglePilot.txt'), 'bar'));
    expect(s.proxies.map((p) => [p.pod, p.namespace, p.istiod, p.xds.RDS, p.xds.ECDS])).toEqual([
      ['proxy1', 'bar', 'istiod1', NS, NS],
      ['proxy2', 'bar', 'istiod1', S, NS],
    ]);
  });

  it('1.31-dev, several istiods: SUBSCRIBED TYPES, no sync state; a proxy subscribed to nothing', () => {
    const s = parseOk(withNamespace(fixture('istio-1.31-dev/multiXdsStatusMultiPilot.txt'), 'foo'));
    expect(s.format).toBe('table-1.27');
    expect(s.proxies.map((p) => [p.pod, p.namespace, p.cluster, p.istiod, p.version, p.synced])).toEqual([
      ['proxy1', 'foo', 'cluster1', 'istiod1', '1.20', null],
      ['proxy2', 'foo', 'cluster2', 'istiod2', '1.19', null],
      ['proxy3', 'foo', 'cluster3', 'istiod3', '1.20', null],
      ['proxy4', 'foo', 'cluster4', 'istiod4', '1.20', null],
    ]);
    for (const p of s.proxies) expect(p.xds).toEqual({});
  });

  it('1.31-dev -v 1: per-type columns between CLUSTER and ISTIOD, in the sorted order istioctl prints', () => {
    const s = parseOk(withNamespace(fixture('istio-1.31-dev/multiXdsStatusMultiPilot_verbose.txt'), 'foo'));
    expect(s.format).toBe('table-1.27-verbose');
    expect(byPod(s, 'proxy1')).toMatchObject({
      namespace: 'foo',
      cluster: 'cluster1',
      istiod: 'istiod1',
      version: '1.20',
      xds: { CDS: STALE, ECDS: S, EDS: S, LDS: S, RDS: NS },
      synced: false,
    });
  });

  it('1.31-dev -o json (a DiscoveryResponse of ClientConfigs)', () => {
    const doc = JSON.parse(fixture('istio-1.31-dev/multiXdsStatusSinglePilot.json')) as {
      resources: { node: { id: string; metadata: Record<string, string> } }[];
    };
    for (const r of doc.resources) {
      r.node.id = `${r.node.id}.foo`;
      r.node.metadata.NAMESPACE = 'foo';
    }
    const s = parseOk(JSON.stringify(doc, null, 4));
    expect(s.format).toBe('json-1.30');
    expect(byPod(s, 'proxy1')).toMatchObject({
      namespace: 'foo',
      cluster: 'cluster1',
      istiod: 'istiod1',
      version: '1.20',
      xds: { CDS: STALE, LDS: S, RDS: NS, EDS: S, ECDS: S },
      synced: false,
    });
  });
});
