/** What a step handler gets: the record as the run started, guarded ports, and a checkpoint. */
import type { Logger } from 'pino';
import type { Calendar } from '../../domain/calendar.js';
import type { StepRun } from '../../domain/upgrade/order.js';
import type { UpgradeRecord } from '../../domain/upgrade/record.js';
import type { ClusterPorts, UpgradeEvent } from '../ports.js';
import type { UpgradeStore } from '../store.js';

export interface StepContext {
  record: UpgradeRecord;
  run: StepRun;
  /** Ports that refuse to start a call once the run is superseded and turn errors into StepFailure. */
  ports: ClusterPorts;
  signal: AbortSignal;
  /** Writes `mutate(record)` only if this run is still current; throws Superseded otherwise. */
  checkpoint(mutate: (r: UpgradeRecord) => void): Promise<UpgradeRecord>;
  notify(event: UpgradeEvent): Promise<void>;
  store: UpgradeStore;
  now(): string;
  /** The cluster's change windows and freezes as the policy says now (scheduled starts check them). */
  calendar?: Calendar | undefined;
  waveTimeoutMs: number;
  logger: Logger;
}

export interface StepOutcome {
  detail?: string;
}

export type StepHandler = (ctx: StepContext) => Promise<StepOutcome>;

export function waveOf(ctx: StepContext) {
  const w = ctx.run.wave === undefined ? undefined : ctx.record.waves[ctx.run.wave - 1];
  if (!w) throw new Error(`${ctx.run.step} of ${ctx.record.id} has no wave ${ctx.run.wave}`);
  return w;
}

export const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** restore_tag with revision '' means "the tag did not exist: remove it". */
export const NO_TAG = '';

/** A step that ends in a decision rather than a failure (a wave's analysis failed or was
 * inconclusive): the worker turns it into the machine's `halt` event — pause, or roll back. */
export class StepHalted extends Error {
  override readonly name = 'StepHalted';
  constructor(
    readonly action: 'pause' | 'rollback',
    message: string,
  ) {
    super(message);
  }
}

/** A scheduled start (progressive mode) that may not happen now: the worker moves it to `until` with
 * the machine's `defer` event (a new delayed run). */
export class StepDeferred extends Error {
  override readonly name = 'StepDeferred';
  constructor(
    readonly until: string,
    message: string,
  ) {
    super(message);
  }
}
