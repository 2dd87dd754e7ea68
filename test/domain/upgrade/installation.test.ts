// Which meshes the bot refuses at request time (Helm-managed istiod, ambient, a mix) and what the plan
// says about installers and commands for the ones it upgrades.
import { describe, expect, it } from 'vitest';
import {
  type AmbientView,
  checkInstallation,
  type InstallationView,
  type RevisionInstall,
  requestedTarget,
} from '../../../src/domain/upgrade/installation.js';

const none: AmbientView = { ztunnel: [], cni: [], namespaces: [], waypoints: [] };
const istioctl = (revision: string): RevisionInstall => ({
  revision,
  deployment: revision === 'default' ? 'istiod' : `istiod-${revision}`,
  installer: 'istioctl',
});
const helm = (
  revision: string,
  release = `istiod-${revision}`,
  status: string | null = 'deployed',
): RevisionInstall => ({
  revision,
  deployment: `istiod-${revision}`,
  installer: 'helm',
  release: { name: release, namespace: 'istio-system', status, version: status ? 3 : null },
});
const unknown = (revision: string): RevisionInstall => ({
  revision,
  deployment: `istiod-${revision}`,
  installer: 'unknown',
});
const view = (revisions: RevisionInstall[], ambient: Partial<AmbientView> = {}): InstallationView => ({
  istioNamespace: 'istio-system',
  revisions,
  helmReleases: revisions.flatMap((r) => (r.release ? [r.release] : [])),
  ambient: { ...none, ...ambient },
});
const plan = {
  from: { version: '1.25.3', revision: '1-25-3' },
  to: { version: '1.26.3', revision: '1-26-3' },
};

describe('checkInstallation: refusals', () => {
  it.each<[string, InstallationView, string, RegExp[], RegExp[]]>([
    [
      'a Helm release whose last revision failed',
      view([helm('1-25-3', 'istiod-1-25-3', 'failed')]),
      'helm_managed',
      [
        /istiod-1-25-3 is the Helm release istiod-1-25-3 in istio-system, whose last revision is failed, not deployed/,
      ],
      [
        /helm install istiod-1-26-3 istio\/istiod -n istio-system --set revision=1-26-3/,
        /docs\/setup\/upgrade\/helm/,
      ],
    ],
    [
      'Helm and istioctl revisions side by side',
      view([istioctl('1-24-0'), helm('1-25-3')]),
      'mixed_installation',
      [
        /a mix the bot cannot undo safely: 1-24-0: istioctl \(istiod-1-24-0\); 1-25-3: Helm release istiod-1-25-3/,
      ],
      [/Helm canary procedure/],
    ],
    [
      'a ztunnel DaemonSet alone',
      view([istioctl('1-25-3')], { ztunnel: ['istio-system/ztunnel'] }),
      'ambient_mesh',
      [/ambient mode \(ztunnel DaemonSet istio-system\/ztunnel\)/, /not by revisions/],
      [/docs\/ambient\/upgrade\/helm/, /node by node/],
    ],
    [
      'ambient namespaces and a waypoint without ztunnel',
      view([istioctl('1-25-3')], { namespaces: ['shop'], waypoints: ['shop/waypoint'] }),
      'ambient_mesh',
      [/dataplane-mode=ambient: shop/, /istio-waypoint\): shop\/waypoint/],
      [/ambient upgrade procedure/],
    ],
    [
      'ambient and Helm together: both reasons, both hints',
      view([helm('1-25-3')], { ztunnel: ['istio-system/ztunnel'], cni: ['istio-system/istio-cni-node'] }),
      'ambient_mesh',
      [/istio-cni DaemonSet istio-system\/istio-cni-node/, /Helm release istiod-1-25-3/],
      [/Helm canary procedure/, /ambient upgrade procedure/],
    ],
    [
      'a Helm mark without its release Secret refuses: helm could not read nor uninstall it',
      view([helm('1-25-3', 'istiod-1-25-3', null)]),
      'helm_managed',
      [
        /marked as the Helm release istiod-1-25-3 in istio-system, but its release Secret \(sh.helm.release.v1.istiod-1-25-3.v<N>\) is not there/,
      ],
      [/helm delete istiod-1-25-3/],
    ],
  ])('%s → %s', (_what, v, code, message, hint) => {
    const res = checkInstallation(v, plan);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.code).toBe(code);
    for (const m of message) expect(res.error.message).toMatch(m);
    for (const h of hint) expect(res.error.hint).toMatch(h);
  });

  it('without a plan (the request was wrong too) the refusal still names a placeholder revision', () => {
    const res = checkInstallation(view([istioctl('1-24-0'), helm('1-25-3')]));
    expect(!res.ok && res.error.hint).toMatch(/--set revision=<new-revision>/);
  });

  it('a long list of ambient namespaces is cut', () => {
    const namespaces = Array.from({ length: 8 }, (_, i) => `ns${i}`);
    const res = checkInstallation(view([istioctl('1-25-3')], { namespaces }), plan);
    expect(!res.ok && res.error.message).toMatch(/ns0, ns1, ns2, ns3, ns4 and 3 more/);
  });
});

describe('checkInstallation: what the plan says', () => {
  it.each<[string, InstallationView | undefined, string[]]>([
    ['istioctl revision', view([istioctl('1-25-3')]), ['1-25-3: istioctl (istiod-1-25-3)']],
    [
      'no marks at all: upgraded the istioctl way, and said so',
      view([unknown('1-25-3')]),
      ['1-25-3: installer unknown, no Helm or istioctl marks on istiod-1-25-3; upgraded the istioctl way'],
    ],
    ['default revision', view([istioctl('default')]), ['default: istioctl (istiod)']],
    ['not inspected', undefined, ['installation not inspected (no installation reader for this cluster)']],
    [
      'istio-cni alone is not ambient',
      view([istioctl('1-25-3')], { cni: ['kube-system/istio-cni-node'] }),
      ['1-25-3: istioctl (istiod-1-25-3)'],
    ],
  ])('%s', (_what, v, installers) => {
    const res = checkInstallation(v, plan);
    expect(res.ok && res.value.installers).toEqual(installers);
  });

  it('labels strategy: precheck, install, labels, default tag, uninstall of the old revision, in order', () => {
    const res = checkInstallation(view([istioctl('1-25-3')]), plan);
    expect(res.ok && res.value.commands).toEqual([
      'istioctl 1.26.3 x precheck',
      'istioctl 1.26.3 install --set revision=1-26-3 -y',
      "label each wave's namespaces istio.io/rev=1-26-3 and restart their workloads",
      'istioctl tag set default --revision 1-26-3 --overwrite -y (and every other tag on 1-25-3)',
      'istioctl 1.25.3 uninstall --revision 1-25-3 -y',
    ]);
  });

  it('tags strategy: the canary tag, then the stable one', () => {
    const res = checkInstallation(view([istioctl('1-25-3')]), {
      ...plan,
      tags: { stable: 'prod-stable', canary: 'prod-canary' },
    });
    expect(res.ok && res.value.commands[2]).toBe(
      'istioctl tag set prod-canary --revision 1-26-3 --overwrite -y (first wave), then prod-stable at the finish',
    );
  });

  it('no plan: no commands', () => {
    expect(checkInstallation(view([istioctl('1-25-3')]))).toMatchObject({
      ok: true,
      value: { commands: [] },
    });
    const target = requestedTarget({ version: '1.26.3' });
    expect(target).toEqual({ to: { version: '1.26.3', revision: '1-26-3' } });
    expect(checkInstallation(view([istioctl('1-25-3')]), target)).toMatchObject({
      ok: true,
      value: { commands: [] },
    });
  });

  it.each([
    [{ version: '1.26.3', revision: 'canary' }, { to: { version: '1.26.3', revision: 'canary' } }],
    [{ version: 'latest' }, undefined],
  ])('the target of a request that could not be planned: %j', (cmd, want) => {
    expect(requestedTarget(cmd)).toEqual(want);
  });

  it('a request that could not be planned is still refused with its revision in the hint', () => {
    const res = checkInstallation(
      view([istioctl('1-24-0'), helm('1-25-3')]),
      requestedTarget({ version: '1.26.3' }),
    );
    expect(!res.ok && res.error.hint).toMatch(/--set revision=1-26-3/);
  });
});

describe('checkInstallation: the Helm canary path', () => {
  const base = { name: 'istio-base', namespace: 'istio-system', status: 'deployed', version: 1 };
  const helmView = (rev: RevisionInstall): InstallationView => {
    const v = view([rev]);
    return { ...v, helmReleases: [base, ...v.helmReleases] };
  };

  it('every istiod a deployed Helm release: planned on the Helm path, with the old release and its namespace', () => {
    const res = checkInstallation(helmView(helm('1-25-3', 'istiod')), plan);
    expect(res).toMatchObject({
      ok: true,
      value: {
        installers: ['1-25-3: Helm release istiod in istio-system (istiod-1-25-3, deployed v3)'],
        helm: { kind: 'helm', namespace: 'istio-system', istiod: 'istiod' },
      },
    });
  });

  it('the plan says which helm commands run, in the order the steps run them', () => {
    const res = checkInstallation(helmView(helm('1-25-3')), plan);
    expect(res.ok && res.value.commands).toEqual([
      'istioctl 1.26.3 x precheck',
      'helm upgrade istio-base base --version 1.26.3 -n istio-system --reset-then-reuse-values',
      'helm get values istiod-1-25-3 -n istio-system -o json, then helm install istiod-1-26-3 istiod --version 1.26.3 -n istio-system -f <those values> --set revision=1-26-3',
      'helm upgrade of each gateway chart release on 1-25-3: --version 1.26.3 --set revision=1-26-3',
      "label each wave's namespaces istio.io/rev=1-26-3 and restart their workloads",
      'istioctl tag set default --revision 1-26-3 --overwrite -y (and every other tag on 1-25-3)',
      'helm upgrade istio-base base -n istio-system --set defaultRevision=1-26-3',
      'helm uninstall istiod-1-25-3 -n istio-system',
    ]);
  });

  it('a downgrade keeps base at the newer version (the older chart would delete the CRDs it does not know)', () => {
    const down = {
      from: { version: '1.31.0', revision: '1-31-0' },
      to: { version: '1.25.3', revision: '1-25-3' },
    };
    const res = checkInstallation(helmView(helm('1-31-0')), down);
    expect(res.ok && res.value.commands.slice(0, 2)).toEqual([
      'istioctl 1.25.3 x precheck',
      'istio-base is not downgraded (a downgrade keeps the newer CRDs: the older base chart would delete those it does not know, with their resources)',
    ]);
    expect(
      res.ok && res.value.commands.filter((c) => c.includes('--version 1.25.3 -n istio-system --reset')),
    ).toEqual([]);
  });

  it('no base release (CRDs managed elsewhere): no base commands', () => {
    const res = checkInstallation(view([helm('1-25-3')]), plan);
    expect(res.ok && res.value.commands.some((c) => c.includes('base'))).toBe(false);
    expect(res.ok && res.value.helm).toEqual({
      kind: 'helm',
      namespace: 'istio-system',
      istiod: 'istiod-1-25-3',
    });
  });

  it('a mix stays refused, and so does ambient on Helm', () => {
    expect(checkInstallation(view([istioctl('1-24-0'), helm('1-25-3')]), plan)).toMatchObject({
      ok: false,
      error: { code: 'mixed_installation' },
    });
    expect(
      checkInstallation(view([helm('1-25-3')], { ztunnel: ['istio-system/ztunnel'] }), plan),
    ).toMatchObject({ ok: false, error: { code: 'ambient_mesh' } });
  });

  it('the istioctl path has no helm field', () => {
    const res = checkInstallation(view([istioctl('1-25-3')]), plan);
    expect(res.ok && res.value.helm).toBeUndefined();
  });
});
