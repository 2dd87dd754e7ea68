/**
 * One BullMQ job per step (ADR 0002). The job id is deterministic — `<upgrade>-<seq>-<step>[-w<n>]` —
 * so enqueuing the same step run twice (a duplicate approval, a recovery after a crash) adds one job.
 * Approval expiry is a delayed job with id `<upgrade>-exp-<nonce>`. No `:` in ids.
 */
import { Queue } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { StepRun } from '../domain/upgrade/order.js';

export const QUEUE_NAME = 'istio-upgrades';

export type StepJobData = StepRun;
export interface ExpiryJobData {
  id: string;
  nonce: string;
}

export const jobIdFor = (run: StepRun): string =>
  `${run.id}-${run.seq}-${run.step}${run.wave === undefined ? '' : `-w${run.wave}`}`;
export const expiryJobId = (id: string, nonce: string): string => `${id}-exp-${nonce}`;

/** Infra errors (Redis) are retried by BullMQ; step failures never reach BullMQ (they stop the upgrade). */
const JOB_DEFAULTS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

export class StepQueue {
  readonly queue: Queue;

  constructor(connection: RedisOptions, prefix: string, onError: (e: Error) => void = () => {}) {
    this.queue = new Queue(QUEUE_NAME, {
      connection: { ...connection, maxRetriesPerRequest: null },
      prefix,
    });
    this.queue.on('error', onError);
  }

  async enqueue(run: StepRun, delayMs = 0): Promise<void> {
    await this.queue.add(run.step, run, {
      ...JOB_DEFAULTS,
      jobId: jobIdFor(run),
      ...(delayMs > 0 ? { delay: delayMs } : {}),
    });
  }

  async scheduleExpiry(id: string, nonce: string, delayMs: number): Promise<void> {
    const data: ExpiryJobData = { id, nonce };
    await this.queue.add('expire', data, {
      ...JOB_DEFAULTS,
      jobId: expiryJobId(id, nonce),
      delay: Math.max(0, delayMs),
    });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
