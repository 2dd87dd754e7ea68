// The plan message lists the Gateway API gateways (who serves each, what it follows, when it moves)
// and the istio#59959 warning; many gateways are cut with a pointer; none: no section.
import { describe, expect, it } from 'vitest';
import type { GatewayApiPlan } from '../../src/domain/upgrade/gateway-api.js';
import { stepNote } from '../../src/slack/blocks/notes.js';
import { planMessage } from '../../src/slack/blocks/plan.js';
import { statusMessage } from '../../src/slack/blocks/status.js';
import { rec } from '../domain/upgrade/fixtures.js';

const entry = (i: number) => ({
  gateway: `ns-${i}/gw-${i}`,
  deployment: `ns-${i}/gw-${i}-istio`,
  servedBy: '1-25-3',
  follows: 'the `default` tag (no `istio.io/rev` label)',
  moves: 'moves at the finish, when `default` moves to `1-26-3`',
});

describe('plan message: Gateway API gateways', () => {
  it('one line per gateway, and the warning', () => {
    const gatewayApi: GatewayApiPlan = {
      gateways: [entry(1), { ...entry(2), servedBy: null, moves: 'no revision claims it now' }],
      warnings: ['Moving a Gateway API gateway replaces its pods; … (istio#59959)'],
    };
    const text = JSON.stringify(planMessage(rec({ gatewayApi })).blocks);
    expect(text).toContain('*Gateway API gateways*');
    expect(text).toContain(
      '• `ns-1/gw-1` on `1-25-3`, follows the `default` tag (no `istio.io/rev` label): moves at the finish, when `default` moves to `1-26-3`',
    );
    expect(text).toContain('• `ns-2/gw-2` on _no revision_');
    expect(text).toContain(':warning: Moving a Gateway API gateway replaces its pods');
  });

  it('many gateways stay within the section limit, with a pointer to the rest', () => {
    const gatewayApi: GatewayApiPlan = {
      gateways: Array.from({ length: 60 }, (_, i) => entry(i)),
      warnings: [],
    };
    const r = rec({ gatewayApi });
    const section = planMessage(r).blocks.find((b) => JSON.stringify(b).includes('Gateway API gateways')) as {
      text: { text: string };
    };
    expect(section.text.text.length).toBeLessThanOrEqual(3000);
    expect(section.text.text).toMatch(new RegExp(`\\+\\d+ more: \`/istio status ${r.id}\` lists them all`));
  });

  it('/istio status lists every one of them', () => {
    const gatewayApi: GatewayApiPlan = {
      gateways: Array.from({ length: 60 }, (_, i) => entry(i)),
      warnings: ['w'],
    };
    const text = JSON.stringify(statusMessage(rec({ gatewayApi })).blocks);
    for (let i = 0; i < 60; i++) expect(text).toContain(`ns-${i}/gw-${i}`);
    expect(text).not.toContain('lists them all');
    expect(text).toContain(':warning: w');
  });

  it('no section without Gateway API gateways', () => {
    expect(JSON.stringify(planMessage(rec({})).blocks)).not.toContain('Gateway API gateways');
  });
});

describe('thread checklist notes: Gateway API gateways verified by a step', () => {
  it('the finish and a wave name the gateways rendered by the new revision', () => {
    const r = rec({});
    expect(
      stepNote(
        r,
        'move_tags',
        undefined,
        `default → ${r.to.revision}; Gateway API gateway(s) on ${r.to.revision}: a/x, b/y`,
      ),
    ).toBe(
      `\`default\` now point at \`${r.to.revision}\`; Gateway API 2 gateways rendered by \`${r.to.revision}\`: \`a/x\`, \`b/y\``,
    );
    expect(stepNote(r, 'move_tags', undefined, `default, prod-stable → ${r.to.revision}`)).toBe(
      `\`default\`, \`prod-stable\` now point at \`${r.to.revision}\``,
    );
    expect(
      stepNote(
        r,
        'verify_sidecars',
        1,
        `4 sidecar(s) on ${r.to.revision}; Gateway API gateway(s) on ${r.to.revision}: a/x`,
      ),
    ).toBe(
      `4 pods checked: every sidecar runs \`${r.to.revision}\`; Gateway API 1 gateway rendered by \`${r.to.revision}\`: \`a/x\``,
    );
  });
});
