// The notifier's store on real Redis: ts, dedup keys and diffs survive a new connection.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/slack/redis-store.js';
import { REDIS, uniquePrefix } from '../support/engine-harness.js';
import { bigDiff } from '../support/slack-fixtures.js';

const conns: Redis[] = [];
const connect = () => {
  const r = new Redis(REDIS);
  conns.push(r);
  return r;
};
afterAll(async () => {
  for (const c of conns) c.disconnect();
});

describe('Redis notifier store', () => {
  it('round-trips ts, seen keys and diffs across connections, with an expiry', async () => {
    const prefix = uniquePrefix('slackstore');
    const a = createRedisStore(connect(), prefix);
    await a.setTs('up-abcd', 'parent', '1.000100');
    await a.markSeen('up-abcd', 'up-abcd:planned');
    await a.saveDiff('up-abcd', 2, bigDiff(3));
    const b = createRedisStore(connect(), prefix);
    expect(await b.getTs('up-abcd', 'parent')).toBe('1.000100');
    expect(await b.getTs('up-abcd', 'approval:wave:1')).toBeUndefined();
    expect(await b.seen('up-abcd', 'up-abcd:planned')).toBe(true);
    expect(await b.seen('up-abcd', 'up-abcd:other')).toBe(false);
    expect((await b.diffs('up-abcd')).get(2)).toEqual(bigDiff(3));
    const ttl = await connect().ttl(`${prefix}:slack:up-abcd:seen`);
    expect(ttl).toBeGreaterThan(80 * 24 * 3600);
  });
});
