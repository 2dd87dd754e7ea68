import type { RedisOptions } from 'ioredis';

/**
 * Connection options from REDIS_URL. BullMQ pins its own ioredis, so the engine gets options, not a
 * client (stack-facts.md). `redis://[user:password@]host[:port][/db]`, `rediss://` for TLS.
 */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    connectTimeout: 5000,
  };
}
