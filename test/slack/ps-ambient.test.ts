// `/istio ps` on an ambient mesh: ztunnel has no proxy-status sync diff, so the answer also shows the
// ztunnel and istio-cni versions per node (ADR 20), read beside the proxies; a failed node read leaves
// the proxies alone.
import { afterEach, describe, expect, it } from 'vitest';
import { err, ok } from '../../src/domain/result.js';
import { proxyStatusQuery } from '../../src/wiring/proxy-status-query.js';
import { waitUntil } from '../support/engine-harness.js';
import { CH, type SlackHarness, startSlackHarness, USERS } from '../support/slack-harness.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const nodes = [
  { node: 'node-1', ztunnel: '1.26.1', cni: '1.26.1' },
  { node: 'node-2', ztunnel: '1.25.3', cni: '1.25.3' },
];

describe('/istio ps, ambient', () => {
  it('shows the versions per node under the proxies', async () => {
    h = await startSlackHarness('http', {
      proxyStatus: async () => ({ format: 'table-1.14', proxies: [], nodes }),
    });
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: 'ps' });
    const e = await waitUntil(async () =>
      h!.emu.state.ephemeralsFor(USERS.bob).find((x) => x.text.includes('Proxy status')),
    );
    const shown = JSON.stringify(e.blocks);
    expect(shown).toContain('*ztunnel and istio-cni per node* (2 nodes; ambient: no sync diff for ztunnel)');
    expect(shown).toMatch(
      /NODE +ZTUNNEL +ISTIO-CNI\\nnode-1 +1\.26\.1 +1\.26\.1\\nnode-2 +1\.25\.3 +1\.25\.3/,
    );
  }, 30_000);
});

describe('proxyStatusQuery with node agents', () => {
  it('adds the nodes when the read has them, leaves them out when it fails or there is no ztunnel', async () => {
    const reads = (n: () => Promise<unknown>) => ({
      proxyStatus: async () => ok(['']),
      nodeVersions: n as never,
    });
    expect((await proxyStatusQuery(reads(async () => ok(nodes)))({ cluster: 'prod' })).nodes).toEqual(nodes);
    expect((await proxyStatusQuery(reads(async () => ok(null)))({ cluster: 'prod' })).nodes).toBeUndefined();
    expect(
      (
        await proxyStatusQuery(reads(async () => err({ code: 'kube_api', message: 'x' })))({
          cluster: 'prod',
        })
      ).nodes,
    ).toBeUndefined();
    expect(
      (
        await proxyStatusQuery(
          reads(async () => {
            throw new Error('no worker');
          }),
        )({ cluster: 'prod' })
      ).nodes,
    ).toBeUndefined();
  });
});
