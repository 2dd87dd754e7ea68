/**
 * NotifierStore on Redis, so message ts, dedup keys and diffs survive a restart and are shared by the
 * bot and worker processes. Keys: `<prefix>:slack:<id>:ts` (hash), `:seen` (set), `:note` (hash: step → what it did, in words), `:diff` (hash wave →
 * JSON). They expire 90 days after the last write. `<prefix>:slack:claim:<key>` (SET NX PX): the replay cache
 * of signed requests, shared by every bot replica.
 */
import type { Redis } from 'ioredis';
import type { ProxyDiff } from '../domain/proxystatus/model.js';
import type { NotifierStore } from './store.js';

const TTL_S = 90 * 24 * 3600;

export function createRedisStore(redis: Redis, prefix = 'iub'): NotifierStore {
  const k = (id: string, what: string) => `${prefix}:slack:${id}:${what}`;
  const touch = (key: string) => redis.expire(key, TTL_S);
  return {
    async getTs(id, key) {
      return (await redis.hget(k(id, 'ts'), key)) ?? undefined;
    },
    async setTs(id, key, ts) {
      await redis.hset(k(id, 'ts'), key, ts);
      await touch(k(id, 'ts'));
    },
    async seen(id, key) {
      return (await redis.sismember(k(id, 'seen'), key)) === 1;
    },
    async markSeen(id, key) {
      await redis.sadd(k(id, 'seen'), key);
      await touch(k(id, 'seen'));
    },
    async setNote(id, key, note) {
      await redis.hset(k(id, 'note'), key, note);
      await touch(k(id, 'note'));
    },
    async notes(id) {
      return redis.hgetall(k(id, 'note'));
    },
    async saveDiff(id, wave, diff) {
      await redis.hset(k(id, 'diff'), String(wave), JSON.stringify(diff));
      await touch(k(id, 'diff'));
    },
    async diffs(id) {
      const all = await redis.hgetall(k(id, 'diff'));
      return new Map(Object.entries(all).map(([w, j]) => [Number(w), JSON.parse(j) as ProxyDiff]));
    },
    async claimOnce(key, ttlMs) {
      return (await redis.set(`${prefix}:slack:claim:${key}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
  };
}
