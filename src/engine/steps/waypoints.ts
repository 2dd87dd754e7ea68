/**
 * Waypoints of an ambient mesh at the finish (ADR 20): Gateways of class `istio-waypoint` follow the
 * tags like class `istio` (ADR 17), so after the tag move each one istiod deploys must be served and
 * rendered by the new revision and rolled out (polled until the wave timeout, else the step stops
 * with each one's reason), and before the old revision is uninstalled none may still be on it.
 */
import { renderWaypointLags, waypointsNotOn, waypointsOn } from '../../domain/upgrade/ambient/waypoints.js';
import { StepFailure } from '../runtime.js';
import type { StepContext } from './context.js';

const POLL_MS = 1000;

/** Waits `ms`, or rejects at once when the run is cancelled (its listener removed either way). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stop = () => {
      clearTimeout(t);
      reject(new StepFailure('cancelled', 'waypoint check cancelled'));
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

/** After the tag move: the waypoints on the new revision (`namespace/name`); none without ambient. */
export async function verifyWaypoints(ctx: StepContext): Promise<string[]> {
  const port = ctx.ports.ambient;
  if (!ctx.record.ambient || !port) return [];
  const to = ctx.record.to.revision;
  const deadline = Date.now() + ctx.waveTimeoutMs;
  for (;;) {
    const list = await port.waypoints(ctx.signal);
    const lags = waypointsNotOn(list, to);
    if (lags.length === 0) return waypointsOn(list, to);
    if (Date.now() >= deadline)
      throw new StepFailure(
        'verify_failed',
        `${lags.length} waypoint(s) not on ${to} after the tag move:\n${renderWaypointLags(lags)}`,
      );
    await pause(POLL_MS, ctx.signal);
  }
}

/** Before the uninstall: the waypoints the old revision still serves or renders (must be none). */
export async function waypointsOnOld(ctx: StepContext): Promise<string[]> {
  const port = ctx.ports.ambient;
  if (!ctx.record.ambient || !port) return [];
  return waypointsOn(await port.waypoints(ctx.signal), ctx.record.from.revision);
}
