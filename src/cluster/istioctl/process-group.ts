/**
 * A spawned istioctl runs in its own process group (execa `detached: true`), so stopping it stops
 * everything it started too (a wrapper script's children): SIGTERM to the group, then SIGKILL after a
 * short grace, and the caller waits until no process of the group is left.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Sends `signal` to every process of the group; false when the group no longer exists. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a live process of the group is left. On Linux a zombie (dead, waiting for its new parent to
 * reap it) does not count: it runs nothing and holds nothing but its process-table entry.
 */
export async function groupAlive(pgid: number): Promise<boolean> {
  if (!killGroup(pgid, 0 as unknown as NodeJS.Signals)) return false;
  if (process.platform !== 'linux') return true;
  let pids: string[];
  try {
    pids = await readdir('/proc');
  } catch {
    return true;
  }
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

/**
 * Stops the group: SIGTERM now, SIGKILL once `graceMs` has passed with a process still alive; resolves
 * when none is left (or after `graceMs` + `giveUpMs`, answering whether one is still alive).
 */
export async function stopGroup(pgid: number, graceMs: number, giveUpMs = 3_000): Promise<boolean> {
  killGroup(pgid, 'SIGTERM');
  const killAt = Date.now() + graceMs;
  const deadline = killAt + giveUpMs;
  let killed = false;
  for (;;) {
    if (!(await groupAlive(pgid))) return false;
    const now = Date.now();
    if (!killed && now >= killAt) {
      killGroup(pgid, 'SIGKILL');
      killed = true;
    }
    if (now >= deadline) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
}
