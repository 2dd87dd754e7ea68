/**
 * A spawned istioctl runs in its own process group (execa `detached: true`), so stopping it stops
 * everything it started too (a wrapper script's children): SIGTERM to the group, then SIGKILL after a
 * short grace, and the caller waits until no process of the group is left.
 */
import { readdir, readFile } from 'node:fs/promises';
import { execa } from 'execa';

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

export interface GroupRunOptions {
  env: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** SIGTERM → SIGKILL grace (default 2 s). */
  killGraceMs?: number;
  maxBuffer?: number;
  stripFinalNewline?: boolean;
  /** Written to stdin, which is then closed (e.g. a password for `--password-stdin`); none: no stdin. */
  input?: string;
}

export interface GroupRun {
  exitCode: number | undefined;
  failed: boolean;
  isMaxBuffer: boolean;
  /** A spawn error's code (ENOENT, EACCES). */
  code: string | undefined;
  stdout: string;
  stderr: string;
  /** Why the bot stopped it, if it did. */
  stopped: 'timeout' | 'cancel' | undefined;
  /** A process of its group outlived SIGKILL. */
  leftover: boolean;
}

/**
 * Runs `bin args` (argv only, no shell) in its own process group with only `env`, stopping the whole
 * group at `timeoutMs` or when `signal` aborts; settles once nothing of the group is left.
 */
export async function runInGroup(bin: string, args: string[], o: GroupRunOptions): Promise<GroupRun> {
  const sub = execa(bin, args, {
    detached: true,
    extendEnv: false,
    env: o.env,
    maxBuffer: o.maxBuffer ?? 64 * 1024 * 1024,
    reject: false,
    ...(o.input !== undefined ? { input: o.input } : { stdin: 'ignore' as const }),
    stripFinalNewline: o.stripFinalNewline ?? true,
  });
  let why: 'timeout' | 'cancel' | undefined;
  let stopping: Promise<boolean> | undefined;
  const stop = (reason: 'timeout' | 'cancel') => {
    if (why || sub.pid === undefined) return;
    why = reason;
    stopping = stopGroup(sub.pid, o.killGraceMs ?? 2_000);
  };
  const timer = setTimeout(() => stop('timeout'), o.timeoutMs);
  const onAbort = () => stop('cancel');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let r: Awaited<typeof sub>;
  try {
    r = await sub;
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
  // settle only once nothing of the group is left (a child that outlived the wrapper included)
  const leftover = stopping ? await stopping : false;
  return {
    exitCode: r.exitCode,
    failed: r.failed,
    isMaxBuffer: r.isMaxBuffer,
    code: (r as { code?: string }).code,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    stopped: why,
    leftover,
  };
}
