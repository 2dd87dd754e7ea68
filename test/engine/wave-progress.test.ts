// A wave's rollout progress reaches Slack a bounded number of times: at the start, each time another
// tenth of the wave is ready, and at the end — however many workloads it has (the scale benchmark's
// "Slack calls per wave: constant, not per workload").
import { describe, expect, it } from 'vitest';
import type { RolloutProgress, UpgradeEvent, Workload } from '../../src/engine/ports.js';
import type { StepContext } from '../../src/engine/steps/context.js';
import { waitFor } from '../../src/engine/steps/wave.js';

function ctxWith(total: number, steps: number[]) {
  const events: UpgradeEvent[] = [];
  const workloads: Workload[] = Array.from({ length: total }, (_, i) => ({
    kind: 'Deployment',
    namespace: `ns-${i % 50}`,
    name: `app-${i}`,
    paused: false,
    onDelete: false,
  }));
  const ctx = {
    record: { id: 'up-test' },
    signal: new AbortController().signal,
    waveTimeoutMs: 60_000,
    notify: async (e: UpgradeEvent) => void events.push(e),
    ports: {
      inspector: { workloads: async () => workloads },
      restarter: {
        async waitForRollouts(
          list: unknown[],
          o: { onProgress?: (p: RolloutProgress) => void },
        ): Promise<void> {
          for (const ready of steps) o.onProgress?.({ total: list.length, ready });
        },
      },
    },
  } as unknown as StepContext;
  return { ctx, events };
}

const readies = (events: UpgradeEvent[]) =>
  events.map((e) => (e.type === 'wave_progress' ? e.progress.ready : -1));

describe('wave progress notifications', () => {
  it('500 workloads becoming ready one by one: 11 updates, one per tenth, the last at 500', async () => {
    const { ctx, events } = ctxWith(
      500,
      Array.from({ length: 501 }, (_, i) => i),
    );
    await waitFor(ctx, ['ns'], 1, 'k');
    expect(readies(events)).toEqual([0, 50, 100, 150, 200, 250, 300, 350, 400, 450, 500]);
  });

  it('a jump and a step back are news only when they change the tenth; the end always is', async () => {
    const { ctx, events } = ctxWith(20, [0, 1, 3, 2, 1, 19, 20, 20]);
    await waitFor(ctx, ['ns'], 1, 'k');
    expect(readies(events)).toEqual([0, 3, 1, 19, 20]);
  });

  it('an empty wave reports once', async () => {
    const { ctx, events } = ctxWith(0, [0]);
    await waitFor(ctx, ['ns'], 1, 'k');
    expect(readies(events)).toEqual([0]);
  });
});
