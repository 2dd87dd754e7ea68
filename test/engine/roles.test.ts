import { describe, expect, it } from 'vitest';
import { parseRole, runsBot, runsWorker } from '../../src/engine/roles.js';

describe('roles', () => {
  it.each([
    [undefined, 'all', true, true],
    ['', 'all', true, true],
    ['bot', 'bot', true, false],
    ['Worker', 'worker', false, true],
    ['all', 'all', true, true],
  ])('ROLE=%s → %s', (v, role, bot, worker) => {
    const r = parseRole(v);
    expect(r).toEqual({ ok: true, value: role });
    if (r.ok) expect([runsBot(r.value), runsWorker(r.value)]).toEqual([bot, worker]);
  });
  it('refuses anything else with the allowed values', () => {
    expect(parseRole('both')).toMatchObject({
      ok: false,
      error: { code: 'config_invalid', hint: expect.stringContaining('bot') },
    });
  });
});
