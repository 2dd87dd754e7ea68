// Chart RBAC, call path 1: the REAL istioctl as the chart's ServiceAccount — precheck with no
// permission finding, install of two revisions, tag set/list, and the finish (tag moved and removed,
// uninstall of the old revision). Run in order by test/helm/rbac.test.ts.
import { expect } from 'vitest';
import { waitForWebhooksOnStandin } from '../support/cluster-harness.js';
import type { RbacRun } from './rbac-context.js';

export async function precheck(r: RbacRun): Promise<void> {
  for (const v of [r.OLD, r.NEW]) {
    const findings = await r.a.installer.precheck(v);
    expect(
      findings.filter((f) => f.code === 'IST0141'),
      JSON.stringify(findings),
    ).toEqual([]);
  }
}

export async function installTwoRevisions(r: RbacRun): Promise<void> {
  const { a } = r;
  await a.installer.install(r.OLD, r.R_OLD);
  await a.installer.install(r.NEW, r.R_NEW);
  await waitForWebhooksOnStandin();
  await a.installer.verify(r.R_OLD);
  await a.installer.verify(r.R_NEW);
  expect(await a.inspector.controlPlanes()).toEqual(
    expect.arrayContaining([
      { revision: r.R_OLD, version: r.OLD, ready: true },
      { revision: r.R_NEW, version: r.NEW, ready: true },
    ]),
  );
}

export async function setAndListTag(r: RbacRun): Promise<void> {
  const { a } = r;
  await a.tagger.setTag(r.TAG, r.R_OLD);
  expect(await a.inspector.tags()).toContainEqual({ tag: r.TAG, revision: r.R_OLD });
  for (const v of [r.OLD, r.NEW]) {
    expect((await a.istioctl.tagList(v)).find((t) => t.tag === r.TAG)?.revision).toBe(r.R_OLD);
  }
}

export async function finish(r: RbacRun): Promise<void> {
  const { a } = r;
  await a.tagger.setTag(r.TAG, r.R_NEW);
  expect(await a.inspector.tags()).toContainEqual({ tag: r.TAG, revision: r.R_NEW });
  await a.tagger.removeTag(r.TAG);
  expect((await a.istioctl.tagList(r.NEW)).find((t) => t.tag === r.TAG)).toBeUndefined();
  await a.installer.uninstall(r.OLD, r.R_OLD);
  const planes = (await a.inspector.controlPlanes()).map((p) => p.revision);
  expect(planes).toContain(r.R_NEW);
  expect(planes).not.toContain(r.R_OLD);
}
