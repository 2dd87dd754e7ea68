// The plan message says what happens to the gateways the old install owns (upgraded in place by the
// canary install, reinstalled at the old revision by a rollback); nothing when there are none.
import { describe, expect, it } from 'vitest';
import { planMessage } from '../../src/slack/blocks/plan.js';
import { rec } from '../domain/upgrade/fixtures.js';

describe('plan message: gateways', () => {
  it('names the in-place gateways and what a rollback does with them', () => {
    const r = rec({ gateways: { inPlace: ['istio-system/istio-ingressgateway'] } });
    const text = JSON.stringify(planMessage(r).blocks);
    expect(text).toContain('`istio-system/istio-ingressgateway`');
    expect(text).toContain(`upgrades them in place to \`${r.to.revision}\``);
    expect(text).toContain(`A rollback reinstalls them at \`${r.from.revision}\``);
  });
  it('says nothing about gateways when the old install owns none', () => {
    expect(JSON.stringify(planMessage(rec({ gateways: { inPlace: [] } })).blocks)).not.toContain(
      '*Gateways*',
    );
  });
});

describe('plan message: why each wave', () => {
  it('says why the planned waves hold their namespaces while they are pending', () => {
    const r = rec({});
    r.waves = [
      {
        index: 1,
        namespaces: ['shop'],
        status: 'pending',
        reasons: { shop: 'marked canary (istio-upgrade-bot.io/canary)' },
      },
      { index: 2, namespaces: ['a', 'b'], status: 'pending', reasons: { a: 'next 10%', b: 'next 10%' } },
    ];
    const text = JSON.stringify(planMessage(r).blocks);
    expect(text).toContain('_marked canary (istio-upgrade-bot.io/canary)_');
    expect(text).toContain('_next 10%_');
  });
});

describe('plan message: the installer', () => {
  it('a Helm-managed control plane: which releases the upgrade installs, upgrades and removes', () => {
    const r = rec({ installer: { kind: 'helm', namespace: 'istio-system', istiod: 'istiod' } });
    const text = JSON.stringify(planMessage(r).blocks);
    expect(text).toContain(
      '*Control plane: Helm* — the old istiod is the release `istiod` in `istio-system`',
    );
    expect(text).toContain(`the canary installed as the release \`istiod-${r.to.revision}\``);
    expect(text).toContain('runs `helm uninstall istiod`');
  });
  it('the istioctl path: nothing more than before', () => {
    expect(JSON.stringify(planMessage(rec({})).blocks)).not.toContain('Control plane: Helm');
  });
});
