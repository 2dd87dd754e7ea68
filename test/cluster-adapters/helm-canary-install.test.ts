// The Helm canary path's adapter (src/cluster/helm/control-plane.ts), install and uninstall: which helm
// calls each port method makes, in order, with which argv, and that a re-run skips what Helm already
// has. helm here is the recording runner of helm-canary-support.ts (the real helm runs in
// helm-canary-downgrade.test.ts and test/e2e/scenarios-14-helm.e2e.ts).
import { describe, expect, it } from 'vitest';
import { canaryRelease } from '../../src/cluster/helm/control-plane.js';
import { from, NS, REPO, setup, target, to } from './helm-canary-support.js';

describe('HelmCanary.install', () => {
  it('base upgraded first, then the canary release with the old values (revision and pinned tag dropped)', async () => {
    const t = setup();
    await t.ports.installer.install(to.version, to.revision);
    expect(t.changes()).toEqual([
      [
        'upgrade',
        'istio-base',
        'base',
        '--repo',
        REPO,
        '--version',
        '1.26.3',
        '-n',
        NS,
        '--reset-then-reuse-values',
        '--wait',
        '--timeout',
        '60s',
        ...target,
      ],
      [
        'install',
        'istiod-1-26-3',
        'istiod',
        '--repo',
        REPO,
        '--version',
        '1.26.3',
        '-n',
        NS,
        '-f',
        expect.stringMatching(/iub-helm-values-.*\/values\.json$/),
        '--set',
        'revision=1-26-3',
        '--wait',
        '--timeout',
        '60s',
        ...target,
      ],
    ]);
    expect(t.valuesFiles).toEqual([{ global: {}, pilot: { resources: { requests: { cpu: '1' } } } }]);
    expect(t.calls).toContainEqual(['get', 'values', 'istiod', '-n', NS, '-o', 'json', ...target]);
  });

  it('an old release that owns revision tags (revisionTags) stops before any change, saying how to free them', async () => {
    const t = setup();
    t.releases.find((r) => r.name === 'istiod')!.history[0]!.values.revisionTags = ['prod-stable'];
    await expect(t.ports.installer.install(to.version, to.revision)).rejects.toThrow(
      /the istiod release istiod in istio-system owns the revision tag\(s\) prod-stable .*Nothing was changed/,
    );
    expect(t.changes()).toEqual([]);
  });

  it('a helm older than 3.14 (no --reset-then-reuse-values) is refused before any change, naming HELM_PATH', async () => {
    const t = setup([], 'v3.12.3');
    await expect(t.ports.installer.install(to.version, to.revision)).rejects.toThrow(
      /helm v3.12.3 at \/opt\/helm is too old: the Helm canary path needs helm 3.14 or later .*HELM_PATH/,
    );
    expect(t.changes()).toEqual([]);
  });

  it('a re-run changes nothing: base at the version, the canary deployed', async () => {
    const t = setup();
    await t.ports.installer.install(to.version, to.revision);
    const before = t.changes().length;
    await t.ports.installer.install(to.version, to.revision);
    expect(t.changes()).toHaveLength(before);
  });

  it('a canary install cut off half-way (pending-install) is uninstalled and installed again', async () => {
    const t = setup([
      {
        name: canaryRelease('1-26-3'),
        namespace: NS,
        chart: 'istiod',
        history: [{ version: '1.26.3', values: {}, status: 'pending-install' }],
      },
    ]);
    await t.ports.installer.install(to.version, to.revision);
    expect(t.changes().map((c) => c.slice(0, 2))).toEqual([
      ['upgrade', 'istio-base'],
      ['uninstall', 'istiod-1-26-3'],
      ['install', 'istiod-1-26-3'],
    ]);
  });

  it('a downgrade leaves base (its CRDs) at the newer version; its rollback has no base to undo', async () => {
    const t = setup();
    await t.ports.installer.install('1.24.5', '1-24-5');
    expect(t.changes().map((c) => c.slice(0, 3))).toEqual([['install', 'istiod-1-24-5', 'istiod']]);
    await t.ports.installer.uninstall('1.24.5', '1-24-5');
    expect(t.changes().map((c) => c.slice(0, 2))).toEqual([
      ['install', 'istiod-1-24-5'],
      ['uninstall', 'istiod-1-24-5'],
    ]);
    expect(t.releases.find((r) => r.name === 'istio-base')!.history).toHaveLength(1);
  });

  it('precheck and verify are the istioctl path’s', async () => {
    const t = setup();
    await t.ports.installer.precheck(to.version);
    await t.ports.installer.verify(to.revision);
    expect(t.istioctl).toEqual(['precheck 1.26.3', 'verify 1-26-3']);
    expect(t.calls).toEqual([]);
  });
});

describe('HelmCanary.uninstall', () => {
  it('the canary (rollback): its release uninstalled, base rolled back to its revision before the upgrade', async () => {
    const t = setup();
    await t.ports.installer.install(to.version, to.revision);
    await t.ports.tagger.setTag('default', to.revision); // base at 1.26.3 twice
    await t.ports.installer.uninstall(to.version, to.revision);
    expect(t.changes().slice(-2)).toEqual([
      ['uninstall', 'istiod-1-26-3', '-n', NS, '--wait', '--timeout', '60s', ...target],
      ['rollback', 'istio-base', '1', '-n', NS, '--wait', '--timeout', '60s', ...target],
    ]);
    const base = t.releases.find((r) => r.name === 'istio-base')!;
    expect(base.history.at(-1)).toMatchObject({ version: '1.25.3', values: { defaultRevision: '1-25-3' } });
    // again: nothing left to undo (the canary is gone, base is back)
    const n = t.changes().length;
    await t.ports.installer.uninstall(to.version, to.revision);
    expect(
      t
        .changes()
        .slice(n)
        .map((c) => c[0]),
    ).toEqual(['uninstall']);
  });

  it('the old revision (finish): the old istiod release uninstalled, base left at the target', async () => {
    const t = setup();
    await t.ports.installer.install(to.version, to.revision);
    await t.ports.installer.uninstall(from.version, from.revision);
    expect(t.changes().at(-1)).toEqual([
      'uninstall',
      'istiod',
      '-n',
      NS,
      '--wait',
      '--timeout',
      '60s',
      ...target,
    ]);
    expect(t.releases.map((r) => r.name).sort()).toEqual(['istio-base', 'istiod-1-26-3']);
  });
});
