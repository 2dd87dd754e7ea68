// The Helm canary path's adapter (src/cluster/helm/control-plane.ts), tags and gateways: `default` also
// sets base's defaultRevision; gateway chart releases upgraded in place and rolled back. helm here is the
// recording runner of helm-canary-support.ts.
import { describe, expect, it } from 'vitest';
import type { HelmRunner } from '../../src/cluster/helm/run.js';
import { CodedError, ErrorCode } from '../../src/errors.js';
import { from, NS, REPO, type Rel, setup, target, to } from './helm-canary-support.js';

describe('HelmCanary tags and gateways', () => {
  it('default: istioctl tag set, then base defaultRevision (once); other tags: istioctl only', async () => {
    const t = setup();
    await t.ports.tagger.setTag('prod-stable', to.revision);
    expect(t.changes()).toEqual([]);
    await t.ports.tagger.setTag('default', to.revision);
    await t.ports.tagger.setTag('default', to.revision);
    expect(t.istioctl).toEqual([
      'tag set prod-stable 1-26-3',
      'tag set default 1-26-3',
      'tag set default 1-26-3',
    ]);
    expect(t.changes()).toEqual([
      [
        'upgrade',
        'istio-base',
        'base',
        '--repo',
        REPO,
        '--version',
        '1.25.3',
        '-n',
        NS,
        '--reset-then-reuse-values',
        '--set',
        'defaultRevision=1-26-3',
        '--wait',
        '--timeout',
        '60s',
        ...target,
      ],
    ]);
  });

  it('gateway chart releases on the old revision are upgraded in place; back, rolled back; others left alone', async () => {
    const gw = (name: string, namespace: string, revision: string): Rel => ({
      name,
      namespace,
      chart: 'gateway',
      history: [{ version: '1.25.3', values: { revision }, status: 'deployed' }],
    });
    const t = setup([gw('ingress', 'gw', '1-25-3'), gw('other-mesh', 'gw2', '1-20-0')]);
    const moved = await t.ports.gateways.moveGateways(to.revision);
    // the Helm release, then the other injected gateways by label (and the check of every gateway's pods)
    expect(moved).toEqual([
      { kind: 'Deployment', namespace: 'gw', name: 'ingress' },
      { kind: 'Deployment', namespace: 'plain', name: 'gw' },
    ]);
    expect(t.kubeMoves).toEqual(['1-26-3']);
    expect(t.changes()).toEqual([
      [
        'upgrade',
        'ingress',
        'gateway',
        '--repo',
        REPO,
        '--version',
        '1.26.3',
        '-n',
        'gw',
        '--reset-then-reuse-values',
        '--set',
        'revision=1-26-3',
        '--wait',
        '--timeout',
        '60s',
        ...target,
      ],
    ]);
    await t.ports.gateways.moveGateways(to.revision); // re-run: nothing
    expect(t.changes()).toHaveLength(1);
    const back = await t.ports.gateways.moveGateways(from.revision);
    expect(back).toEqual(moved);
    expect(t.kubeMoves).toEqual(['1-26-3', '1-26-3', '1-25-3']);
    expect(t.changes().at(-1)).toEqual([
      'rollback',
      'ingress',
      '1',
      '-n',
      'gw',
      '--wait',
      '--timeout',
      '60s',
      ...target,
    ]);
    expect(t.releases.find((r) => r.name === 'ingress')!.history.at(-1)).toMatchObject({
      version: '1.25.3',
      values: { revision: '1-25-3' },
    });
  });
});

describe('a gateway chart whose own schema is broken (Istio < 1.26.4 with helm 3.18.5+)', () => {
  const gw: Rel = {
    name: 'ingress',
    namespace: 'gw',
    chart: 'gateway',
    history: [{ version: '1.25.3', values: { revision: '1-25-3' }, status: 'deployed' }],
  };
  /** helm refusing the gateway chart as the 1.25 chart's values.schema.json makes it (istio#57354). */
  const refuse =
    (why: string): ((next: HelmRunner) => HelmRunner) =>
    (next) =>
    async (bin, args, o) => {
      if (args[0] === 'upgrade' && args[2] === 'gateway' && !args.includes('--skip-schema-validation'))
        throw new CodedError(ErrorCode.HelmFailed, `${o.what} failed (exit 1)`, {
          stderr: `Error: UPGRADE FAILED: values don't meet the specifications of the schema(s) in the following chart(s):\ngateway:\n- at '': additional properties ${why} not allowed`,
        });
      return next(bin, args, o);
    };

  it('refusing its own defaults: the upgrade runs again once with --skip-schema-validation', async () => {
    const t = setup(
      [{ ...gw, history: [...gw.history] }],
      undefined,
      refuse("'service', '_internal_defaults_do_not_set'"),
    );
    await t.ports.gateways.moveGateways(to.revision);
    expect(t.changes().map((c) => [c[0], c[1], c.includes('--skip-schema-validation')])).toEqual([
      ['upgrade', 'ingress', true],
    ]);
    expect(t.releases.find((r) => r.name === 'ingress')!.history.at(-1)).toMatchObject({ version: '1.26.3' });
  });

  it('refusing a value of the user: the refusal stands, nothing retried', async () => {
    const t = setup([{ ...gw, history: [...gw.history] }], undefined, refuse("'replicaz'"));
    await expect(t.ports.gateways.moveGateways(to.revision)).rejects.toThrow(/failed \(exit 1\)/);
    expect(t.calls.some((c) => c.includes('--skip-schema-validation'))).toBe(false);
  });
});
