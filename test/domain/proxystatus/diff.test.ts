import { describe, expect, it } from 'vitest';
import { diffSnapshots, type ProxyRecord, type Snapshot } from '../../../src/domain/proxystatus/index.js';
import { fixture, parseOk } from './helpers.js';

function proxy(
  namespace: string,
  pod: string,
  workload: string,
  revision: string,
  extra: Partial<ProxyRecord> = {},
) {
  return {
    pod,
    namespace,
    workload,
    cluster: null,
    istiod: `istiod-${revision}-5d9f8c7b6d-k2m4n`,
    revision,
    version: revision.replaceAll('-', '.'),
    xds: { CDS: 'SYNCED' },
    synced: true,
    ...extra,
  } as ProxyRecord;
}

function snap(...proxies: ProxyRecord[]): Snapshot {
  return { format: 'table-1.14', proxies };
}

describe('diffSnapshots on a real canary wave (fixtures wave-before / wave-after)', () => {
  const d = diffSnapshots(parseOk(fixture('wave-before.txt')), parseOk(fixture('wave-after.txt')));

  it('counts proxies per revision', () => {
    expect(d.before).toEqual({ '1-22-1': 9 });
    expect(d.after).toEqual({ '1-22-1': 2, '1-24-2': 7 });
  });

  it('matches workloads, not pods: restarted Deployment and StatefulSet pods count as moved', () => {
    expect(d.moved).toEqual([
      {
        namespace: 'istio-system',
        workload: 'istio-ingressgateway',
        fromRevision: '1-22-1',
        toRevision: '1-24-2',
        fromVersion: '1.22.1',
        toVersion: '1.24.2',
      },
      {
        namespace: 'shop',
        workload: 'cart',
        fromRevision: '1-22-1',
        toRevision: '1-24-2',
        fromVersion: '1.22.1',
        toVersion: '1.24.2',
      },
      {
        namespace: 'shop',
        workload: 'redis',
        fromRevision: '1-22-1',
        toRevision: '1-24-2',
        fromVersion: '1.22.1',
        toVersion: '1.24.2',
      },
    ]);
  });

  it('partial, unchanged, added, removed and notSynced', () => {
    expect(d.partial).toEqual([
      {
        namespace: 'shop',
        workload: 'checkout',
        fromRevisions: ['1-22-1'],
        toRevisions: ['1-22-1', '1-24-2'],
      },
    ]);
    expect(d.unchanged).toEqual([{ namespace: 'pay', workload: 'api', revision: '1-22-1' }]);
    expect(d.added).toEqual([{ namespace: 'shop', workload: 'new-feature', revision: '1-24-2' }]);
    expect(d.removed).toEqual([{ namespace: 'shop', workload: 'legacy', revision: '1-22-1' }]);
    expect(d.notSynced).toEqual([{ namespace: 'shop', pod: 'checkout-5f7b9c6d8b-m4v7z', types: ['CDS'] }]);
  });
});

describe('diffSnapshots rules', () => {
  it('several revisions are joined by "," in sorted order', () => {
    const d = diffSnapshots(
      snap(proxy('a', 'w-1', 'w', 'canary'), proxy('a', 'w-0', 'w', '1-22-1')),
      snap(
        proxy('a', 'w-0', 'w', '1-24-2', { version: '1.24.2-distroless' }),
        proxy('a', 'w-1', 'w', '1-24-2'),
      ),
    );
    expect(d.moved).toEqual([
      {
        namespace: 'a',
        workload: 'w',
        fromRevision: '1-22-1,canary',
        toRevision: '1-24-2',
        fromVersion: '1.22.1,canary',
        toVersion: '1.24.2,1.24.2-distroless',
      },
    ]);
  });

  it('a shrinking mix (old+new → new only that was already there) is partial, not moved', () => {
    const d = diffSnapshots(
      snap(proxy('a', 'w-0', 'w', 'old'), proxy('a', 'w-1', 'w', 'new')),
      snap(proxy('a', 'w-1', 'w', 'new')),
    );
    expect(d.moved).toEqual([]);
    expect(d.partial).toEqual([
      { namespace: 'a', workload: 'w', fromRevisions: ['new', 'old'], toRevisions: ['new'] },
    ]);
  });

  it('sorts every list by namespace then workload (or pod), byte order', () => {
    const d = diffSnapshots(
      snap(proxy('b', 'z-0', 'z', 'r'), proxy('a', 'y-0', 'y', 'r'), proxy('a', 'B-0', 'B', 'r')),
      snap(
        proxy('b', 'z-0', 'z', 'r', { synced: false, xds: { RDS: 'ERROR', CDS: 'STALE', LDS: 'SYNCED' } }),
        proxy('a', 'y-0', 'y', 'r', { synced: false, xds: { EDS: 'STALE' } }),
        proxy('a', 'B-0', 'B', 'r'),
      ),
    );
    expect(d.unchanged.map((u) => `${u.namespace}/${u.workload}`)).toEqual(['a/B', 'a/y', 'b/z']);
    expect(d.notSynced).toEqual([
      { namespace: 'a', pod: 'y-0', types: ['EDS'] },
      { namespace: 'b', pod: 'z-0', types: ['CDS', 'RDS'] },
    ]);
  });

  it('synced null (1.27 default table) is never reported as not synced', () => {
    const d = diffSnapshots(snap(), snap(proxy('a', 'w-0', 'w', 'r', { synced: null, xds: {} })));
    expect(d.notSynced).toEqual([]);
    expect(d.added).toEqual([{ namespace: 'a', workload: 'w', revision: 'r' }]);
  });
});
