// The per-workload summary `ps diff` folds table rows into (no record per proxy) must give exactly
// what diffSnapshots gives on the parsed proxies, for every input the parser knows, errors included;
// and the row fast path (a NAME that repeats the previous row's ReplicaSet prefix and namespace) must
// read every NAME as the general rules do.
import { describe, expect, it } from 'vitest';
import {
  diffSnapshots,
  diffSummaries,
  type ParseOptions,
  parseProxyStatus,
  type Summary,
  summarizeProxyStatus,
  summarizeTableBytes,
  summarizeTableChunks,
  workloadOf,
} from '../../../src/domain/proxystatus/index.js';
import { tabwrite } from '../../support/proxy-status-standin.js';
import { fixture, parseOk } from './helpers.js';

const INPUTS: [string, ParseOptions][] = [
  ['table-1.7.txt', {}],
  ['table-1.10-revision.txt', {}],
  ['table-1.13.txt', {}],
  ['table-1.20.txt', {}],
  ['table-1.24.txt', {}],
  ['table-1.27.txt', {}],
  ['table-1.27-verbose.txt', {}],
  ['json-1.30.json', {}],
  ['syncz.json', { istiod: 'istiod-1-24-2-7f6fc6cfd6-s8zfg' }],
  ['nasty-ansi.txt', {}],
  ['nasty-ansi-prelayout.txt', {}],
  ['nasty-crlf.txt', {}],
  ['nasty-extra-columns.txt', {}],
  ['nasty-preamble-two-tables.txt', {}],
  ['nasty-trailing-blanks.txt', {}],
  ['wave-before.txt', {}],
  ['wave-after.txt', {}],
];

function summaryDiff(before: string, after: string, bo: ParseOptions = {}, ao: ParseOptions = {}) {
  const b = summarizeProxyStatus(before, bo);
  const a = summarizeProxyStatus(after, ao);
  if (!b.ok || !a.ok) return expect.fail(`did not parse: ${JSON.stringify(b.ok ? a : b)}`);
  return diffSummaries(b.summary, a.summary);
}

describe('summarizeProxyStatus + diffSummaries = parseProxyStatus + diffSnapshots', () => {
  it.each(INPUTS)('%s against every other input, both ways', (file, options) => {
    const text = fixture(file);
    for (const [other, otherOptions] of INPUTS) {
      const o = fixture(other);
      const want = diffSnapshots(parseOk(text, options), parseOk(o, otherOptions));
      expect(summaryDiff(text, o, options, otherOptions)).toEqual(want);
      expect(summaryDiff(o, text, otherOptions, options)).toEqual(
        diffSnapshots(parseOk(o, otherOptions), parseOk(text, options)),
      );
    }
  });

  it('the format is the parser’s', () => {
    for (const [file, options] of INPUTS) {
      const r = summarizeProxyStatus(fixture(file), options);
      expect(r.ok && r.format).toBe(parseOk(fixture(file), options).format);
    }
  });

  it.each([
    ['nasty-bad-line.txt', fixture('nasty-bad-line.txt')],
    ['istioctl testdata without namespaces', fixture('istio-1.25.3/multiXdsStatusSinglePilot.txt')],
    ['its -o json without namespaces', fixture('istio-1.31-dev/multiXdsStatusSinglePilot.json')],
    ['empty', ' \n\t\n'],
    ['no header', 'warning: nothing here\n'],
    ['json that is no DiscoveryResponse', '{}'],
    ['broken json', '[{"proxy": '],
  ])('%s: the same error as the parser', (_name, text) => {
    const parsed = parseProxyStatus(text);
    expect(parsed.ok).toBe(false);
    expect(summarizeProxyStatus(text)).toEqual(parsed);
  });
});

const HEADER = ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION'];
const ISTIOD = 'istiod-1-24-2-7f6fc6cfd6-s8zfg';

function table(
  names: string[],
  states: (i: number) => string[] = () => ['SYNCED (3m)', 'SYNCED', 'SYNCED', 'SYNCED', 'NOT SENT'],
): string {
  return tabwrite([HEADER, ...names.map((n, i) => [n, 'Kubernetes', ...states(i), ISTIOD, '1.24.2'])]);
}

describe('NAME read in place, the previous row’s ReplicaSet prefix reused', () => {
  // Each NAME follows one that ends in `-<5 safe chars>`, and differs from a repeat in one way.
  const names = [
    'cart-6c9d8f7b5c-4kz2p.shop',
    'cart-6c9d8f7b5c-9xq7w.shop', // a repeat
    'cart-6c9d8f7b5c-9xq7w.shoq', // same length, other namespace
    'cart-6c9d8f7b5c-bcdfg.shop', // back
    'cart-6c9d8f7b5c-bcdfgh.sho', // same length, suffix one longer
    'cart-6c9d8f7b5c-bcdfg.shop',
    'cart-6c9d8f7b5c-bc.fg.shop', // a dot in the suffix: pod has a dot, no ReplicaSet suffix
    'cart-6c9d8f7b5c-bcdfg.shop',
    'cart-6c9d8f7b5c-aeiou.shop', // not the safe alphabet: its own workload
    'cart-6c9d8f7b5c-bcdfg.shop',
    'cart-6c9d8f7b5c-bc-fg.shop', // a dash in the suffix
    'cart-6c9d8f7b5c-bcdfg.shop',
    'cart-6c9d8f7b5d-bcdfg.shop', // another ReplicaSet of the same Deployment
    'cart-6c9d8f7b5c-BCDFG.shop', // upper case: a valid pod name, not a suffix
    'node-agent-x2x4z.kube', // DaemonSet
    'node-agent-x2x5z.kube',
    'web-0.shop', // StatefulSet
    'web-1.shop',
    'cart-6c9d8f7b5c-4kz2p.shop', // the first again (after other workloads)
  ];

  it('every proxy is split and owned as splitProxyId and workloadOf say', () => {
    const s = parseOk(table(names));
    expect(s.proxies.map((p) => `${p.pod}.${p.namespace}`)).toEqual(names);
    for (const p of s.proxies) expect(p.workload, p.pod).toBe(workloadOf(p.pod));
  });

  it('the summary groups the same workloads as the records', () => {
    const text = table(names, (i) => [
      i % 3 === 0 ? 'STALE' : 'SYNCED',
      'SYNCED',
      'SYNCED',
      'SYNCED',
      'NOT SENT',
    ]);
    const other = table(names.slice(0, 4));
    expect(summaryDiff(other, text)).toEqual(diffSnapshots(parseOk(other), parseOk(text)));
    expect(summaryDiff(text, other)).toEqual(diffSnapshots(parseOk(text), parseOk(other)));
  });

  it.each([
    ['an invalid namespace', 'cart-6c9d8f7b5c-9xq7w.sh_p-', 3],
    ['no namespace', 'cart-6c9d8f7b5c-9xq7w', 3],
    ['a namespace with a dot cut short', 'cart-6c9d8f7b5c-9xq7w.s.op', -1],
  ])('a row right after a repeatable one with %s is judged by the general rules', (_what, name, line) => {
    const text = table(['cart-6c9d8f7b5c-4kz2p.shop', name]);
    const parsed = parseProxyStatus(text);
    if (line < 0) {
      // `s.op` is no namespace but `cart-6c9d8f7b5c-9xq7w.s` is a pod name: it is read that way
      expect(parsed.ok && parsed.snapshot.proxies[1]).toMatchObject({
        pod: 'cart-6c9d8f7b5c-9xq7w.s',
        namespace: 'op',
      });
    } else {
      expect(parsed).toMatchObject({ ok: false, error: { code: 'BAD_ROW', line } });
    }
    expect(summarizeProxyStatus(text).ok).toBe(parsed.ok);
  });
});

/** A summary as plain data, in insertion order (both readers see rows in the same order). */
function plain(s: Summary) {
  return {
    counts: [...s.countsNow()],
    groups: [...s.groups].map(([ns, m]) => [ns, [...m.values()]]),
    notSynced: s.notSynced,
  };
}
const bytes = (text: string) => new TextEncoder().encode(text);

/**
 * Read as `ps diff` reads a file: through a buffer of `size` bytes, each read giving at most `step`
 * bytes (a pipe gives what it has), the unread tail moved to the front, the buffer doubled for a line
 * that does not fit.
 */
function fedInChunks(input: Uint8Array, size: number, step = size) {
  let at = 0;
  const read = (buf: Uint8Array, to: number, n: number) => {
    const k = Math.min(n, step, input.length - at);
    buf.set(input.subarray(at, at + k), to);
    at += k;
    return k;
  };
  return summarizeTableChunks(read, new Uint8Array(size));
}

function sameAsText(text: string): 'taken' | 'declined' {
  const fast = summarizeTableBytes(bytes(text));
  const slow = summarizeProxyStatus(text);
  // in chunks of any size, the same answer as all at once (a line cut anywhere, even in a CRLF)
  for (const [size, step] of [
    [1, 1],
    [7, 3],
    [64, 64],
    [4096, 100],
  ] as const) {
    const chunked = fedInChunks(bytes(text), size, step);
    expect(chunked === null ? null : plain(chunked.summary), `chunks of ${size}`).toEqual(
      fast === null ? null : plain(fast.summary),
    );
  }
  if (fast === null) return 'declined';
  if (!slow.ok) return expect.fail(`bytes took what the parser refuses: ${slow.error.message}`);
  expect(fast.format).toBe(slow.format);
  expect(plain(fast.summary)).toEqual(plain(slow.summary));
  return 'taken';
}

describe('summarizeTableBytes: the bytes of a table, the same summary as its text', () => {
  it.each([
    ['table-1.7.txt', 'taken'],
    ['table-1.10-revision.txt', 'taken'],
    ['table-1.20.txt', 'taken'],
    ['table-1.24.txt', 'taken'],
    ['table-1.27.txt', 'taken'],
    ['table-1.27-verbose.txt', 'taken'],
    ['wave-before.txt', 'taken'],
    ['wave-after.txt', 'taken'],
    ['nasty-crlf.txt', 'taken'],
    ['nasty-trailing-blanks.txt', 'declined'], // a tab among the trailing blanks
    ['nasty-preamble-two-tables.txt', 'taken'],
    ['table-1.13.txt', 'taken'], // an empty CLUSTER cell, still aligned
    ['nasty-ansi.txt', 'declined'],
    ['nasty-bad-line.txt', 'declined'],
    ['json-1.30.json', 'declined'],
    ['syncz.json', 'declined'],
  ])('%s: %s', (file, want) => {
    expect(sameAsText(fixture(file))).toBe(want);
  });

  it.each([
    ['a tab', table(['cart-6c9d8f7b5c-4kz2p.shop']).replace('Kubernetes', 'Kubernetes\t')],
    ['a byte past ASCII', table(['cart-6c9d8f7b5c-4kz2p.shop']).replace('1.24.2', '1.24.2-ü')],
    ['a BOM', `\ufeff${table(['cart-6c9d8f7b5c-4kz2p.shop'])}`],
    ['no header', 'cart-6c9d8f7b5c-4kz2p.shop  Kubernetes\n'],
    ['nothing', ' \n\n'],
    ['a bad row', table(['cart-6c9d8f7b5c-4kz2p.shop', 'no-namespace'])],
    ['an ISTIOD with a space', table(['cart-6c9d8f7b5c-4kz2p.shop']).replace(ISTIOD, 'istiod x-1')],
  ])('declines %s (the parser reads or refuses it)', (_what, text) => {
    expect(summarizeTableBytes(bytes(text))).toBeNull();
  });

  it('a Buffer (what readFileSync gives) is read like a Uint8Array', () => {
    const text = fixture('wave-after.txt');
    const fromBuffer = summarizeTableBytes(Buffer.from(text, 'latin1'));
    expect(fromBuffer && plain(fromBuffer.summary)).toEqual(plain(summarizeTableBytes(bytes(text))!.summary));
  });

  it('rows whose line ends before the last column (empty trailing cells) are read, not skipped', () => {
    // trailing blanks cut, as a terminal copy or an editor leaves them: the line feed comes before the
    // last column, so the first guess at the line's end takes in the next line
    const text = tabwrite([
      HEADER,
      [
        'cart-6c9d8f7b5c-4kz2p.shop',
        'Kubernetes',
        'SYNCED',
        'SYNCED',
        'SYNCED',
        'SYNCED',
        'SYNCED',
        ISTIOD,
        '',
      ],
      ['web-0.shop', 'Kubernetes', 'SYNCED', 'STALE', 'SYNCED', 'SYNCED', 'SYNCED', '', ''],
      ['web-1.shop', 'Kubernetes', 'SYNCED', 'SYNCED', 'SYNCED', 'SYNCED', 'SYNCED', ISTIOD, '1.24.2'],
    ]).replace(/ +\n/g, '\n');
    expect(text.split('\n')[2]).toMatch(/^web-0\.shop .* SYNCED$/);
    expect(sameAsText(text)).toBe('taken');
    expect(sameAsText(text.trimEnd())).toBe('taken'); // and no line feed after the last row
  });

  it('odd state spellings are read as the parser reads them', () => {
    const text = table(
      ['a-0.x', 'b-0.x', 'c-0.x'],
      (i) =>
        [
          ['NOT_SENT', 'synced', 'UNKNOWN', 'STALE (Never Acknowledged)', 'ERROR'],
          ['SYNCED (100%)', 'IGNORED', 'STALE', 'NOT SENT', 'SYNCED'],
          ['SYNCEDX', 'SYNCED', 'SYNCED', 'SYNCED', 'SYNCED'],
        ][i]!,
    );
    expect(sameAsText(text)).toBe('declined'); // SYNCEDX is no state: the parser refuses the row
    expect(
      sameAsText(
        table(
          ['a-0.x', 'b-0.x'],
          (i) =>
            [
              ['NOT_SENT', 'synced', 'UNKNOWN', 'STALE (Never Acknowledged)', 'ERROR'],
              ['SYNCED (100%)', 'IGNORED', 'STALE', 'NOT SENT', 'SYNCED'],
            ][i]!,
        ),
      ),
    ).toBe('taken');
  });

  it('agrees with the parser on 300 tables with random names, states, gaps and damage', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return Math.floor((seed / 2 ** 32) * n);
    };
    const pick = <T>(xs: readonly T[]) => xs[rand(xs.length)]!;
    const NAMES = [
      'cart-6c9d8f7b5c-4kz2p.shop',
      'cart-6c9d8f7b5c-9xq7w.shop',
      'cart-6c9d8f7b5c-9xq7w.shoq',
      'cart-6c9d8f7b5d-bcdfg.shop',
      'cart-6c9d8f7b5c-bc.fg.shop',
      'cart-6c9d8f7b5c-aeiou.shop',
      'Cart-6C9D8F7B5C-4KZ2P.shop',
      'web-0.shop',
      'web-10.shop',
      'node-agent-x2x4z.kube',
      'istio-ingressgateway-66c994c45c-cmb7x.istio-system',
      'a.b.c',
    ];
    const STATES = [
      'SYNCED',
      'SYNCED (3m)',
      'NOT SENT',
      'STALE',
      'STALE (Never Acknowledged)',
      'IGNORED',
      'ERROR',
      'NOT_SENT',
      'synced',
      '',
    ];
    /** one bad cell (column, value), put in a quarter of the tables */
    const BAD: [number, string][] = [
      [0, 'bad_name-.shop'],
      [0, 'noNamespace'],
      [3, 'BOGUS'],
      [7, 'istiod x'],
    ];
    const ISTIODS = [ISTIOD, 'istiod-85745c747b-knlwb', 'istiod-1-22-1-6d8f9b7c5d-q2w4x', ''];
    const taken = { taken: 0, declined: 0 };
    for (let t = 0; t < 300; t++) {
      const rows = Array.from({ length: 1 + rand(12) }, () => [
        pick(NAMES),
        pick(['Kubernetes', 'Kubernetes', '']),
        ...Array.from({ length: 5 }, () => pick(STATES)),
        pick(ISTIODS),
        pick(['1.24.2', '1.22.1', '1.24.2-distroless', '']),
      ]);
      if (rand(4) === 0) {
        const [col, value] = pick(BAD);
        rows[rand(rows.length)]![col] = value;
      }
      let text = tabwrite([HEADER, ...rows]);
      const damage = rand(9);
      if (damage === 0) text = text.replace(/ {6}/, '  x   '); // junk in a gap
      if (damage === 1) text = text.replace(/\n(\S+) {5}/, '\n$1 '); // a gap too small
      if (damage === 2) text = `${text}${tabwrite([HEADER, ...rows.slice(0, 2)])}`; // a second table
      if (damage === 3) text = text.replaceAll('\n', '\r\n');
      if (damage === 4) text = `warning: something\n${text}`;
      if (damage === 5) {
        // a NAME that runs up to one space before the next column
        text = text.replace(/\n(\S+)( +)(\S)/, (_m, a, gap, c) => `\n${a}${'x'.repeat(gap.length - 1)} ${c}`);
      }
      taken[sameAsText(text)]++;
    }
    expect(taken.taken).toBeGreaterThan(20);
    expect(taken.declined).toBeGreaterThan(20);
  });
});
