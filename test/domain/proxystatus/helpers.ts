import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type ParseOptions, parseProxyStatus, type Snapshot } from '../../../src/domain/proxystatus/index.js';

export function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../../fixtures/proxy-status/${name}`, import.meta.url)), 'utf8');
}

export function parseOk(text: string, options?: ParseOptions): Snapshot {
  const r = parseProxyStatus(text, options);
  if (!r.ok) expect.fail(`expected a parse, got line ${r.error.line}: ${r.error.message}`);
  return r.snapshot;
}

export function byPod(s: Snapshot, pod: string) {
  const p = s.proxies.find((x) => x.pod === pod);
  if (p === undefined) expect.fail(`no proxy ${pod} in ${s.proxies.map((x) => x.pod).join(', ')}`);
  return p;
}
