/**
 * What the notifier remembers outside the engine's record: the ts of each message it owns (parent,
 * approval per wave, phase checklists), the event keys it already posted (so a step re-run after a crash does not post
 * twice), the notes of finished steps, and each wave's full proxy-status diff (for `/istio status ID --details`).
 */
import type { ProxyDiff } from '../domain/proxystatus/model.js';

export interface NotifierStore {
  getTs(upgradeId: string, key: string): Promise<string | undefined>;
  setTs(upgradeId: string, key: string, ts: string): Promise<void>;
  /** true when `eventKey` was already posted. */
  seen(upgradeId: string, eventKey: string): Promise<boolean>;
  markSeen(upgradeId: string, eventKey: string): Promise<void>;
  /** What a finished step did, in words (the checklist of its phase message), by note key. */
  setNote(upgradeId: string, key: string, note: string): Promise<void>;
  notes(upgradeId: string): Promise<Record<string, string>>;
  saveDiff(upgradeId: string, wave: number, diff: ProxyDiff): Promise<void>;
  /** The saved diffs by wave number. */
  diffs(upgradeId: string): Promise<Map<number, ProxyDiff>>;
  /**
   * true the first time `key` is claimed within `ttlMs`, false after (shared by every replica on
   * Redis): the replay cache of signed Slack requests.
   */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
}

/** In-process store: tests, and a single process that may lose dedup state on restart. */
export function createMemoryStore(): NotifierStore {
  const ts = new Map<string, string>();
  const seen = new Set<string>();
  const diffs = new Map<string, Map<number, ProxyDiff>>();
  const notes = new Map<string, Record<string, string>>();
  const claims = new Map<string, number>();
  return {
    getTs: async (id, key) => ts.get(`${id}\u0000${key}`),
    setTs: async (id, key, value) => void ts.set(`${id}\u0000${key}`, value),
    seen: async (id, key) => seen.has(`${id}\u0000${key}`),
    markSeen: async (id, key) => void seen.add(`${id}\u0000${key}`),
    setNote: async (id, key, note) => void notes.set(id, { ...notes.get(id), [key]: note }),
    notes: async (id) => ({ ...notes.get(id) }),
    saveDiff: async (id, wave, diff) => {
      const m = diffs.get(id) ?? new Map<number, ProxyDiff>();
      m.set(wave, diff);
      diffs.set(id, m);
    },
    diffs: async (id) => new Map(diffs.get(id) ?? []),
    claimOnce: async (key, ttlMs) => {
      const now = Date.now();
      for (const [k, until] of claims) if (until <= now) claims.delete(k);
      if (claims.has(key)) return false;
      claims.set(key, now + ttlMs);
      return true;
    },
  };
}
