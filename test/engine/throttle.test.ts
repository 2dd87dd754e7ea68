// Repeated connection errors are logged once, then once per interval with how many were skipped.
import { describe, expect, it } from 'vitest';
import { throttled } from '../../src/engine/throttle.js';

describe('throttled error log', () => {
  it('logs the first error, counts repeats, logs a different error at once', () => {
    let t = 0;
    const lines: { msg: string; repeated?: number; err: string }[] = [];
    const on = throttled(
      (f, msg) => lines.push({ msg, err: f.err.message, ...(f.repeated ? { repeated: f.repeated } : {}) }),
      'redis',
      30_000,
      () => t,
    );
    for (let i = 0; i < 58; i++) {
      on(new Error('WRONGPASS invalid username-password pair'));
      t += 50;
    }
    expect(lines).toEqual([{ msg: 'redis', err: 'WRONGPASS invalid username-password pair' }]);
    on(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    expect(lines).toHaveLength(2);
    t += 30_000;
    on(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    expect(lines.at(-1)).toMatchObject({ err: 'connect ECONNREFUSED 127.0.0.1:6379' });
    on(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    t += 30_000;
    on(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    expect(lines.at(-1)).toMatchObject({ repeated: 1 });
  });
});
