// The concurrency bound used for patches and lists: never more than n in flight, all run.
import { expect, it } from 'vitest';
import { limiter } from '../../src/cluster/kube/watch.js';

it('runs at most n at once and every function once', async () => {
  const limit = limiter(3);
  let active = 0;
  let peak = 0;
  const ran: number[] = [];
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      limit(async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 1 + (i % 4)));
        ran.push(i);
        active--;
      }),
    ),
  );
  expect(peak).toBe(3);
  expect(ran.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
});

it('a failure releases its slot', async () => {
  const limit = limiter(1);
  await expect(limit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  await expect(limit(async () => 'next')).resolves.toBe('next');
});
