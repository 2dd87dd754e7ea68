import { describe, expect, it } from 'vitest';
import { NOTIFIER_CLIENT } from '../../src/slack/app.js';

describe('the thread notifier WebClient (main.ts)', () => {
  it('bounds every attempt (the WebClient default is no timeout) and its retries', () => {
    expect(NOTIFIER_CLIENT.timeout).toBeGreaterThan(0);
    const { retries, maxTimeout } = NOTIFIER_CLIENT.retryConfig;
    // worst case of one call: every attempt times out, with the longest waits between them
    expect((retries + 1) * NOTIFIER_CLIENT.timeout + retries * maxTimeout).toBeLessThanOrEqual(6 * 60_000);
  });
});
