// The App Home view within Block Kit's limits for a Home tab (100 blocks, every text within its
// block's limit), checked by the emulator's independent validator: many clusters, long names and
// reasons, every source unavailable.
import { describe, expect, it } from 'vitest';
import { outlook } from '../../src/domain/calendar-outlook.js';
import type { Policy } from '../../src/domain/policy.js';
import type { ClusterHome, HomeData } from '../../src/slack/home/gather.js';
import { homeView } from '../../src/slack/home/view.js';
import { validateBlocks } from '../support/slack-emulator/block-kit-limits.js';
import { visibleText } from '../support/slack-emulator/state.js';
import { record } from '../support/slack-fixtures.js';

const NOW = Date.parse('2026-12-01T09:00:00Z');
const long = (s: string, n: number) => s + 'x'.repeat(n);

function data(n: number, over: Partial<ClusterHome> = {}): { data: HomeData; policy: Policy } {
  const names = Array.from({ length: n }, (_, i) => long(`c${String(i).padStart(2, '0')}-`, 60));
  const freezes = [{ from: '2026-11-30T00:00:00Z', to: '2026-12-09T00:00:00Z', reason: long('why ', 290) }];
  const policy: Policy = {
    requesters: [],
    approvers: [],
    operators: [],
    incidentChannels: [],
    incidentResponders: [],
    fourEyes: true,
    clusters: Object.fromEntries(names.map((c) => [c, { channels: ['C1'], freezes }])),
  };
  const clusters = names.map(
    (name): ClusterHome => ({
      name,
      controlPlanes: Array.from({ length: 40 }, (_, i) => ({
        revision: long(`1-2${i}-0-`, 50),
        version: `1.2${i}.0`,
        ready: i % 2 === 0,
      })),
      active: {
        record: record({ cluster: name, id: long('up-', 40) }),
        link: 'https://x.slack.com/archives/C1/p1',
      },
      outlook: outlook({ freezes }, NOW),
      timeZone: 'UTC',
      ...over,
    }),
  );
  const finished = Array.from({ length: 10 }, (_, i) =>
    record({ id: `up-${i}`, cluster: names[i % n]!, state: 'done' }),
  );
  return { data: { now: NOW, clusters, finished }, policy };
}

describe('App Home view limits', () => {
  it('fits 100 blocks however many clusters, naming those left out', () => {
    for (const n of [1, 10, 24, 25, 40]) {
      const { data: d, policy } = data(n);
      const v = homeView(d, policy);
      expect(v.type).toBe('home');
      expect(validateBlocks(v.blocks, 100)).toEqual([]);
      expect(v.blocks.length).toBeLessThanOrEqual(100);
      const text = visibleText({ blocks: v.blocks });
      // 24 clusters fit (4 blocks each); every cluster is either shown or named as not fitting, and the finished list is always there
      for (const c of d.clusters) expect(text).toContain(c.name);
      expect(text).toContain('Last finished upgrades');
      expect(text).toContain('`up-9`');
      if (n > 24) expect(text).toMatch(/\d+ more cluster\(s\) do not fit here/);
    }
  });

  it('shows unavailable sources with why, never an empty view', () => {
    const { data: d, policy } = data(3, {
      controlPlanes: { unavailable: 'cluster c did not answer within 4 s' },
      active: { unavailable: 'the upgrade records did not answer within 4 s' },
    });
    const v = homeView({ ...d, finished: { unavailable: 'Redis is down' } }, policy);
    expect(validateBlocks(v.blocks, 100)).toEqual([]);
    const text = visibleText({ blocks: v.blocks });
    expect(text).toContain(':warning: Control planes unavailable: cluster c did not answer within 4 s');
    expect(text).toContain(':warning: Upgrades unavailable: the upgrade records did not answer within 4 s');
    expect(text).toContain(':warning: Finished upgrades unavailable: Redis is down');
  });
});
