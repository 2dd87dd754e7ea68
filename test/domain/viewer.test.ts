// Which clusters a person sees where there is no channel to judge by (the App Home).
import { describe, expect, it } from 'vitest';
import type { Policy } from '../../src/domain/policy.js';
import { channelsIn, clustersVisibleTo } from '../../src/domain/viewer.js';

const POLICY: Policy = {
  requesters: ['U0REQ', '*'],
  approvers: ['S0APPROVERS'],
  operators: [],
  incidentResponders: ['*'],
  incidentChannels: ['C0INC'],
  fourEyes: true,
  clusters: {
    prod: { channels: ['C0PROD'] },
    staging: { channels: ['C0STAGE', 'C0PROD'] },
    lab: { channels: ['*'] },
  },
};
const v = (user: string, channels: string[], groups: string[] = []) => ({
  user,
  groups,
  channels: new Set(channels),
});

describe('clustersVisibleTo', () => {
  it.each([
    [
      'a member of prod’s channel sees the clusters that channel drives',
      v('U1', ['C0PROD']),
      ['prod', 'staging'],
    ],
    ['a member of staging’s channel only staging', v('U1', ['C0STAGE']), ['staging']],
    ['an incident channel member sees every cluster', v('U1', ['C0INC']), ['lab', 'prod', 'staging']],
    [
      'a requester by name also sees the cluster open to every channel',
      v('U0REQ', ['C0STAGE']),
      ['lab', 'staging'],
    ],
    ['an approver through a group too', v('U2', [], ['S0APPROVERS']), ['lab']],
    ['`*` in a role names nobody: no channel, no named role, nothing', v('U3', ['C0OTHER']), []],
  ])('%s', (_what, viewer, clusters) => {
    expect(clustersVisibleTo(POLICY, viewer)).toEqual(clusters);
  });

  it('the channels to resolve are the policy’s own, `*` excluded', () => {
    expect(channelsIn(POLICY)).toEqual(['C0INC', 'C0PROD', 'C0STAGE']);
  });
});
