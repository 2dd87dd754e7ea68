// `npm start`'s node flags, as written in package.json: `.env` is read when present, variables set in
// the environment win over it, and with no `.env` (systemd, containers, CI) the process still starts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  scripts: { start: string };
};

/** Runs the start script's node command in `cwd`, with a probe in place of the bot. */
function start(cwd: string, env: Record<string, string>): string {
  const words = pkg.scripts.start.split(/\s+/);
  expect(words[0]).toBe('node');
  expect(words.at(-1)).toBe('dist/src/main.js');
  const probe = join(cwd, 'probe.mjs');
  writeFileSync(probe, 'console.log(JSON.stringify([process.env.A ?? null, process.env.B ?? null]))');
  return execFileSync(process.execPath, [...words.slice(1, -1), probe], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
}

describe('npm start', () => {
  it('runs with no .env file, on the environment alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'start-no-env-'));
    expect(JSON.parse(start(dir, { A: 'from-env' }))).toEqual(['from-env', null]);
  });

  it('reads .env when present; the environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'start-env-'));
    writeFileSync(join(dir, '.env'), 'A=from-file\nB=from-file\n');
    expect(JSON.parse(start(dir, { A: 'from-env' }))).toEqual(['from-env', 'from-file']);
  });
});
