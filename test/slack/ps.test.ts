// `/istio ps` with a cluster connection (ROLE=all): proxies per revision and those not synced.
import { afterEach, describe, expect, it } from 'vitest';
import type { ProxyRecord } from '../../src/domain/proxystatus/model.js';
import { waitUntil } from '../support/engine-harness.js';
import { CH, type SlackHarness, startSlackHarness, USERS } from '../support/slack-harness.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const proxy = (i: number, revision: string, synced: boolean): ProxyRecord => ({
  pod: `web-${i}`,
  namespace: 'app-a',
  workload: 'web',
  cluster: 'Kubernetes',
  istiod: `istiod-${revision}-7f6fc6cfd6-s8zfg`,
  revision,
  version: '1.24.2',
  xds: {},
  synced,
});

describe('/istio ps', () => {
  it('answers per revision, lists what is not synced, and asks for the right cluster and namespace', async () => {
    const asked: unknown[] = [];
    h = await startSlackHarness('http', {
      proxyStatus: async (q) => {
        asked.push(q);
        return {
          format: 'table-1.14',
          proxies: [proxy(1, '1-23-1', true), proxy(2, '1-24-2', true), proxy(3, '1-24-2', false)],
        };
      },
    });
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: 'ps app-a' });
    const e = await waitUntil(async () =>
      h!.emu.state.ephemeralsFor(USERS.bob).find((x) => x.text.includes('Proxy status')),
    );
    const shown = JSON.stringify(e.blocks);
    expect(shown).toContain('`1-23-1`: 1 proxies');
    expect(shown).toContain('`1-24-2`: 2 proxies');
    expect(shown).toContain('*Not synced* (1)');
    expect(shown).toContain('app-a/web-3');
    expect(asked).toEqual([{ cluster: 'prod', namespace: 'app-a' }]);
    await h.emu.command({ user: USERS.bob, channel: CH.ops, text: 'ps --cluster staging' });
    await waitUntil(async () =>
      h!.emu.state.ephemeralsFor(USERS.bob).find((x) => x.text.includes('not configured')),
    );
    expect(asked).toHaveLength(1);
  }, 30_000);
});
