// Which waypoints (class istio-waypoint) are not yet on the revision after the tag move, and why; and
// which ones the old revision still serves (the uninstall would strand them).
import { describe, expect, it } from 'vitest';
import {
  renderWaypointLags,
  type Waypoint,
  waypointsNotOn,
  waypointsOn,
} from '../../../../src/domain/upgrade/ambient/waypoints.js';

const NEW = '1-26-1';
const OLD = '1-25-3';
const wp = (over: Partial<Waypoint> = {}): Waypoint => ({
  namespace: 'shop',
  name: 'waypoint',
  revLabel: null,
  namespaceRev: null,
  managed: true,
  deployment: 'waypoint',
  servedBy: NEW,
  renderedBy: NEW,
  ready: true,
  ...over,
});

describe('waypointsNotOn', () => {
  it.each([
    ['served, rendered and rolled out on the revision: on it', wp(), []],
    [
      'following the default tag, which still points at the old revision',
      wp({ servedBy: OLD, renderedBy: OLD }),
      ['shop/waypoint: served by `1-25-3`, not `1-26-1`: it follows the `default` tag'],
    ],
    [
      'its own label names the old revision: the tag move does not move it',
      wp({ revLabel: OLD, servedBy: OLD, renderedBy: OLD }),
      ['shop/waypoint: served by `1-25-3`, not `1-26-1`: it follows its label `istio.io/rev=1-25-3`'],
    ],
    [
      'its namespace label names a tag nobody has',
      wp({ namespaceRev: 'gone', servedBy: null, renderedBy: OLD }),
      ["shop/waypoint: no istiod claims it: its namespace's label `istio.io/rev=gone`"],
    ],
    [
      'claimed by the revision, not yet re-rendered',
      wp({ renderedBy: OLD }),
      ['shop/waypoint: its Deployment `waypoint` still runs `1-25-3`'],
    ],
    [
      'claimed, not rendered at all yet',
      wp({ renderedBy: null }),
      ['shop/waypoint: istiod `1-26-1` has not rendered its Deployment `waypoint` yet'],
    ],
    [
      'rendered, still rolling out',
      wp({ ready: false }),
      ['shop/waypoint: its Deployment `waypoint` is still rolling out to `1-26-1`'],
    ],
    [
      'deployed by the user (addresses): never moved by istiod, left out',
      wp({ managed: false, servedBy: OLD }),
      [],
    ],
  ])('%s', (_w, w, want) => {
    const got = waypointsNotOn([w], NEW).map((l) => `${l.waypoint}: ${l.why}`);
    expect(got.length).toBe(want.length);
    for (const [i, g] of got.entries()) expect(g.startsWith(want[i]!), g).toBe(true);
  });

  it('sorted by namespace/name, each once', () => {
    const lags = waypointsNotOn(
      [
        wp({ namespace: 'b', renderedBy: OLD }),
        wp({ namespace: 'a', servedBy: OLD }),
        wp({ namespace: 'c' }),
      ],
      NEW,
    );
    expect(lags.map((l) => l.waypoint)).toEqual(['a/waypoint', 'b/waypoint']);
    expect(renderWaypointLags(lags).split('\n')).toHaveLength(2);
    expect(renderWaypointLags([])).toBe('');
  });
});

describe('waypointsOn', () => {
  it.each([
    ['all moved: none on the old revision', [wp()], []],
    ['still served by the old one', [wp({ servedBy: OLD, renderedBy: OLD })], ['shop/waypoint']],
    ['claimed by the new one, still rendered by the old one', [wp({ renderedBy: OLD })], ['shop/waypoint']],
    ['the user’s own waypoint is not istiod’s', [wp({ managed: false, servedBy: OLD })], []],
  ])('%s', (_w, ws, want) => {
    expect(waypointsOn(ws, OLD)).toEqual(want);
  });
});
