// The phase checklists: one message per phase, in words, updated as the steps run. Pure renderers.
import { describe, expect, it } from 'vitest';
import { inWords, stepNote } from '../../src/slack/blocks/notes.js';
import { noteKey, phaseMessage, phaseOf } from '../../src/slack/blocks/phase.js';
import { validateBlocks } from '../support/slack-emulator/block-kit-limits.js';
import { RAW_JSON, visibleText } from '../support/slack-emulator/state.js';
import { record } from '../support/slack-fixtures.js';

const r = record({ state: 'running', step: 'restart_workloads', currentWave: 1, approval: undefined });
const shown = (m: { text: string; blocks: unknown[] }) => visibleText(m);

describe('phase checklists', () => {
  it('steps before the running one are done, with what they did; later ones are still to do', () => {
    const m = phaseMessage(
      r,
      { kind: 'wave', wave: 1 },
      {
        notes: { 'move_namespaces:w1': stepNote(r, 'move_namespaces', 1, 'app-a → {"revision":"1-24-2"}') },
        current: { step: 'wait_rollouts', status: 'running' },
        progress: { ready: 3, total: 7 },
      },
    );
    expect(validateBlocks(m.blocks)).toEqual([]);
    const lines = (m.blocks[1] as { text: { text: string } }).text.text.split('\n');
    expect(lines).toEqual([
      ':white_check_mark: Point the namespaces at `1-24-2` — 1 namespace now point at revision `1-24-2` (`istio.io/rev=1-24-2`)',
      ':white_check_mark: Restart their workloads',
      ':hourglass_flowing_sand: Wait for the rollouts — *3/7* workloads ready',
      ':white_circle: Check that every pod runs `1-24-2`',
      ':white_circle: Compare `istioctl proxy-status` before and after wave 1',
    ]);
    expect(m.text).toMatch(/^Wave 1 of 2 \(running\): done: Point the namespaces/);
    expect(shown(m)).not.toMatch(RAW_JSON);
  });

  it('a failed step is marked and the phase says so', () => {
    const m = phaseMessage(
      r,
      { kind: 'control' },
      { notes: { precheck: 'no findings' }, current: { step: 'install_control_plane', status: 'failed' } },
    );
    expect(shown(m)).toContain(':x: *Control plane `1-24-2`*');
    expect(shown(m)).toContain('Install istiod `1-24-2` beside `1-23-1` — *failed*, see below');
  });

  it('a finished phase is all ticked', () => {
    const notes = Object.fromEntries(
      ['move_tags', 'grace_period', 'check_old_unused', 'uninstall_old'].map((s) => [s, 'ok']),
    );
    const m = phaseMessage(
      r,
      { kind: 'finish' },
      { notes, current: { step: 'uninstall_old', status: 'done' } },
    );
    expect(shown(m)).toContain(':white_check_mark: *Finish*');
    expect(shown(m)).not.toContain(':white_circle:');
    expect(m.text).toContain('done: Uninstall 1-23-1');
  });

  it('a rollback lists what was undone, what is undoing and what is left, in words', () => {
    const rb = record({
      state: 'rolling_back',
      compensations: [
        { kind: 'uninstall_canary', revision: '1-24-2' },
        { kind: 'move_gateways_back', revision: '1-23-1' },
      ],
    });
    const notes = {
      [noteKey('compensate', undefined, { ...rb, compensations: rb.compensations.slice(0, 2) })]:
        'wave 1 (app-a) back on revision 1-23-1',
    };
    const m = phaseMessage(
      rb,
      { kind: 'rollback' },
      { notes, current: { step: 'compensate', status: 'running' } },
    );
    const body = (m.blocks[1] as { text: { text: string } }).text.text.split('\n');
    expect(body).toEqual([
      ':white_check_mark: wave 1 (app-a) back on revision 1-23-1',
      ':hourglass_flowing_sand: Move the gateways back to `1-23-1`',
      ':white_circle: Uninstall the canary control plane `1-24-2`',
    ]);
  });

  it('steps map to their phases; approvals and plan have none', () => {
    expect(phaseOf('precheck', undefined)).toEqual({ kind: 'control' });
    expect(phaseOf('verify_sidecars', 2)).toEqual({ kind: 'wave', wave: 2 });
    expect(phaseOf('grace_period', undefined)).toEqual({ kind: 'finish' });
    expect(phaseOf('compensate', 1)).toEqual({ kind: 'rollback' });
    expect(phaseOf('await_wave_approval', 1)).toBeUndefined();
    expect(phaseOf('plan', undefined)).toBeUndefined();
  });

  it('engine details become words: no JSON reaches people', () => {
    expect(inWords('app-a → {"revision":"1-31-dev"}')).toBe('app-a → revision 1-31-dev');
    expect(inWords('{"injection":"enabled"} and {"tag":"prod-canary"}')).toBe(
      'istio-injection=enabled and tag prod-canary',
    );
    expect(stepNote(r, 'compensate', 1, 'wave 1 back on {"tag":"prod-stable"}')).toBe(
      'wave 1 back on tag prod-stable',
    );
    expect(stepNote(r, 'precheck', undefined, '0 finding(s), no errors')).toBe('no findings');
    expect(stepNote(r, 'move_tags', undefined, 'default, prod-stable → 1-24-2')).toBe(
      '`default`, `prod-stable` now point at `1-24-2`',
    );
  });
});

describe('the traffic analysis step', () => {
  it('is on a wave checklist only when the upgrade carries an analysis spec', () => {
    const view = { notes: {}, current: { step: 'verify_sidecars', status: 'running' as const } };
    const without = visibleText(phaseMessage(r, { kind: 'wave', wave: 1 }, view));
    expect(without).not.toContain('Analyse the traffic');
    const spec = { ...r, analysis: {} } as unknown as typeof r;
    expect(visibleText(phaseMessage(spec, { kind: 'wave', wave: 1 }, view))).toContain(
      ':white_circle: Analyse the traffic of the wave',
    );
  });
});
