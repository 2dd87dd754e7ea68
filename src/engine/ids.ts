/** Ids people type and nonces for approval buttons; randomness injected so tests are deterministic. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i: easy to read aloud and type

export interface Ids {
  /** `up-7k3q`: short enough to type in `/istio status up-7k3q`. */
  upgradeId(): string;
  /** An approval nonce (changes with every approval request). */
  nonce(): string;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

function pick(random: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(random() * ALPHABET.length) % ALPHABET.length];
  return s;
}

export function randomIds(random: () => number = Math.random, idLength = 4): Ids {
  return {
    upgradeId: () => `up-${pick(random, idLength)}`,
    nonce: () => pick(random, 10),
  };
}

export const UPGRADE_ID_RE = /^up-[a-z0-9]{4,8}$/;
