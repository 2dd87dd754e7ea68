// Process-group checks for the cancellation tests, independent of the code under test (`ps`).
import { execa } from 'execa';

/** Live (not zombie) processes of a process group, as `pid stat args`. */
export async function liveInGroup(pgid: number): Promise<string[]> {
  const r = await execa('ps', ['-e', '-o', 'pgid=,pid=,stat=,args='], { reject: false });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => Number(f[0]) === pgid && !(f[2] ?? '').startsWith('Z'))
    .map((f) => f.slice(1).join(' '));
}
