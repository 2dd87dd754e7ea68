import { describe, expect, it } from 'vitest';
import {
  defaultIncidentResponders,
  groupsIn,
  mayApprove,
  mayControl,
  mayRequest,
  mayView,
  type Policy,
  rollbackNeedsReason,
  type Who,
} from '../../src/domain/policy.js';
import type { UpgradeRecord } from '../../src/domain/upgrade/record.js';

const policy: Policy = {
  requesters: ['UALICE', 'SPLATFORM'],
  approvers: ['SAPPROVERS', 'UBOB'],
  operators: ['UOPS'],
  clusters: { prod: { channels: ['CPROD'] }, dev: { channels: ['*'] } },
  incidentChannels: ['CINC'],
  incidentResponders: ['*'],
  fourEyes: true,
};
const record = { id: 'up-7k3q', cluster: 'prod', requester: 'UALICE' } as UpgradeRecord;
const who = (user: string, channel = 'CPROD', groups: string[] = []): Who => ({ user, channel, groups });

describe('policy', () => {
  it.each<[string, boolean, string | null]>([
    ['requester in the cluster channel', true, null],
    ['group member', true, null],
    ['stranger', false, 'not_requester'],
    ['wrong channel', false, 'channel_not_allowed'],
    ['incident channel', false, 'incident_channel'],
    ['unknown cluster', false, 'unknown_cluster'],
    ['any channel for dev', true, null],
  ])('mayRequest: %s', (label, allowed, code) => {
    const cases: Record<string, [Who, string]> = {
      'requester in the cluster channel': [who('UALICE'), 'prod'],
      'group member': [who('UCAROL', 'CPROD', ['SPLATFORM']), 'prod'],
      stranger: [who('UMALLORY'), 'prod'],
      'wrong channel': [who('UALICE', 'CRANDOM'), 'prod'],
      'incident channel': [who('UALICE', 'CINC'), 'prod'],
      'unknown cluster': [who('UALICE'), 'staging'],
      'any channel for dev': [who('UALICE', 'CRANDOM'), 'dev'],
    };
    const [w, cluster] = cases[label]!;
    const v = mayRequest(policy, w, cluster);
    expect(v.allowed).toBe(allowed);
    if (!v.allowed) expect(v.code).toBe(code);
  });

  it.each<[Who, boolean, string | null]>([
    [who('UBOB'), true, null],
    [who('UDAVE', 'CPROD', ['SAPPROVERS']), true, null],
    [who('UALICE', 'CPROD', ['SAPPROVERS']), false, 'four_eyes'],
    [who('UMALLORY'), false, 'not_approver'],
    [who('UBOB', 'CRANDOM'), false, 'channel_not_allowed'],
  ])('mayApprove %j', (w, allowed, code) => {
    const v = mayApprove(policy, w, record);
    expect(v.allowed).toBe(allowed);
    if (!v.allowed) {
      expect(v.code).toBe(code);
      expect(v.reason.length).toBeGreaterThan(10);
    }
  });

  it('four eyes can be turned off explicitly', () => {
    expect(
      mayApprove({ ...policy, fourEyes: false }, who('UALICE', 'CPROD', ['SAPPROVERS']), record).allowed,
    ).toBe(true);
  });

  it.each<[Who, 'pause' | 'rollback' | 'abort', boolean]>([
    [who('UALICE'), 'pause', true],
    [who('UOPS'), 'abort', true],
    [who('UMALLORY'), 'rollback', false],
    [who('UMALLORY', 'CINC'), 'rollback', true],
    [who('UMALLORY', 'CINC'), 'abort', false],
  ])('mayControl %j %s', (w, action, allowed) => {
    expect(mayControl(policy, w, record, action).allowed).toBe(allowed);
  });

  it('by default only operators and approvers roll back from an incident channel', () => {
    const def: Policy = { ...policy, incidentResponders: defaultIncidentResponders(policy) };
    expect(def.incidentResponders).toEqual(['UOPS', 'SAPPROVERS', 'UBOB']);
    const rollback = (w: Who) => mayControl(def, w, record, 'rollback');
    expect(rollback(who('UMALLORY', 'CINC'))).toMatchObject({ allowed: false, code: 'not_responder' });
    expect(rollback(who('UOPS', 'CINC')).allowed).toBe(true);
    expect(rollback(who('UBOB', 'CINC')).allowed).toBe(true);
    expect(rollback(who('UCAROL', 'CINC', ['SAPPROVERS'])).allowed).toBe(true);
    // "*" written explicitly: anyone in the incident channel.
    expect(mayControl(policy, who('UMALLORY', 'CINC'), record, 'rollback').allowed).toBe(true);
  });

  it('incident rollbacks need a reason, others do not', () => {
    expect(rollbackNeedsReason(policy, 'CINC', undefined)).toMatchObject({
      allowed: false,
      code: 'reason_required',
    });
    expect(rollbackNeedsReason(policy, 'CINC', '  ')).toMatchObject({ allowed: false });
    expect(rollbackNeedsReason(policy, 'CINC', 'INC-1')).toEqual({ allowed: true });
    expect(rollbackNeedsReason(policy, 'CPROD', undefined)).toEqual({ allowed: true });
  });

  it('status is visible from incident and cluster channels only', () => {
    expect(mayView(policy, 'CINC', 'prod').allowed).toBe(true);
    expect(mayView(policy, 'CPROD', 'prod').allowed).toBe(true);
    expect(mayView(policy, 'CRANDOM', 'prod').allowed).toBe(false);
  });

  it('names the groups to resolve', () => {
    expect(groupsIn(policy).sort()).toEqual(['SAPPROVERS', 'SPLATFORM']);
  });
});
