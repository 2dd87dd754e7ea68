// Type feedback for `ps diff`'s hot code before a large input makes it hot (the CLI loads this module;
// the bot does not): V8 optimises a function for the cases it has seen run, and throws the optimised
// code away (then optimises it again) the first time another case comes, deep in a 50,000-row table.
// So at load, two small tables go through the byte reader and the diff with every case the rows of a
// real mesh bring: a new workload, a ReplicaSet's next pod, a workload met again later, two revisions
// in turn and in one workload, a proxy not synced, a state spelled otherwise, a line that ends before
// the last column, a second reader with empty caches. Once: run ten times, the rare cases looked
// common and V8 inlined them everywhere, and `ps diff` spent a quarter more CPU compiling.
import { summarizeTableBytes } from './bytes.js';
import { diffSummaries } from './diff.js';

const HEADER =
  'NAME                      CLUSTER     CDS            LDS         ISTIOD                    VERSION';
const A = 'istiod-1-1-1-abcdf-ghjkl  1.1.1';
const B = 'istiod-1-1-2-abcdf-ghjkm  1.1.2';

function table(rows: string[]): Uint8Array {
  return new TextEncoder().encode(`${[HEADER, ...rows].join('\n')}\n`);
}

function warmUp(): void {
  const before = summarizeTableBytes(
    table([
      `a-6c9d8f7b5c-4kz2p.x      K           SYNCED (1s)    SYNCED      ${A}`,
      `a-6c9d8f7b5c-4kz2q.x      K           SYNCED         SYNCED      ${A}`,
      `b-0.y                     K           NOT SENT       NOT_SENT    ${A}`,
      `c-0.y                     K           SYNCED         SYNCED      ${A}`,
    ]),
  );
  const after = summarizeTableBytes(
    table([
      `a-6c9d8f7b5c-4kz2p.x      K           SYNCED (1s)    STALE       ${A}`,
      `a-6c9d8f7b5c-4kz2q.x      K           SYNCED         SYNCED      ${B}`,
      'b-0.y                     K           NOT SENT       NOT_SENT    istiod-1-1-1-abcdf-ghjkl',
      `a-7d9d8f7b5c-4kz2r.x      K           SYNCED         IGNORED     ${B}`,
      `a-6c9d8f7b5c-4kz2s.x      K           ERROR          SYNCED      ${A}`,
      `d-0.y                     K           SYNCED         SYNCED      ${B}`,
    ]),
  );
  if (before !== null && after !== null) diffSummaries(before.summary, after.summary);
}

warmUp();
