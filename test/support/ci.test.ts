import { describe, expect, it } from 'vitest';
import { isCI } from './ci.js';

describe('isCI', () => {
  it.each(['true', 'TRUE', 'True', '1', 'yes', 'on', 'woodpecker', ' true '])('CI=%j is CI', (v) => {
    expect(isCI({ CI: v })).toBe(true);
  });

  it.each(['false', 'FALSE', 'False', '0', '', ' ', ' 0 '])('CI=%j is not CI', (v) => {
    expect(isCI({ CI: v })).toBe(false);
  });

  it('an unset CI is not CI', () => {
    expect(isCI({})).toBe(false);
  });

  it('reads process.env by default', () => {
    const saved = process.env.CI;
    try {
      process.env.CI = 'yes';
      expect(isCI()).toBe(true);
      process.env.CI = '0';
      expect(isCI()).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });
});
