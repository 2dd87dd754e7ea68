/** The store's Lua scripts (src/engine/store.ts): each runs atomically in Redis. */

/** Compare-and-set of a record on `rev`, taking or releasing the cluster's lock in the same step. */
export const CAS = `
local cur = redis.call('HGET', KEYS[1], 'rev')
if ARGV[1] == '' then
  if cur then return {'exists', cur} end
elseif cur ~= ARGV[1] then
  return {'conflict', cur or ''}
end
if ARGV[4] == 'acquire' then
  local holder = redis.call('GET', KEYS[2])
  if holder and holder ~= ARGV[5] then return {'busy', holder} end
  redis.call('SET', KEYS[2], ARGV[5])
  redis.call('SADD', KEYS[4], ARGV[5])
elseif ARGV[4] == 'release' then
  if redis.call('GET', KEYS[2]) == ARGV[5] then redis.call('DEL', KEYS[2]) end
  redis.call('SREM', KEYS[4], ARGV[5])
end
redis.call('HSET', KEYS[1], 'rev', ARGV[2], 'json', ARGV[3])
if ARGV[4] == 'release' and tonumber(ARGV[7]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
if ARGV[1] == '' then redis.call('ZADD', KEYS[3], ARGV[6], ARGV[5]) end
return {'ok', ARGV[2]}
`;

/** 1 when the runner token still holds the upgrade and the record's run (`seq`) is the caller's. */
export const FENCE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local j = redis.call('HGET', KEYS[2], 'json')
if not j then return 0 end
local r = cjson.decode(j)
if tostring(r.seq or 0) ~= ARGV[2] then return 0 end
local s = r.state
if s == 'running' or s == 'rolling_back' or s == 'paused' or s == 'aborting' then return 1 end
return 0
`;

/** Frees a cluster lock whose upgrade is gone or finished and whose step is not running. */
export const UNLOCK = `
local holder = redis.call('GET', KEYS[1])
if not holder then return {'free', ''} end
if redis.call('EXISTS', ARGV[1] .. 'runner:' .. holder) == 1 then return {'running', holder} end
local j = redis.call('HGET', ARGV[1] .. 'up:' .. holder, 'json')
if j then
  local s = cjson.decode(j).state
  if s ~= 'rolled_back' and s ~= 'aborted' and s ~= 'done' and s ~= 'planned' then return {'active', holder} end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], holder)
return {'unlocked', holder}
`;
