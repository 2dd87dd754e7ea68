// `ps diff`'s reader for large tables: the bytes of an ASCII istioctl table folded into a Summary,
// chunk by chunk (a file need not be in memory at once), each row read in one pass (byterow.ts). It
// takes only what the string parser's fast path takes (rows aligned under their header, every cell
// valid) and gives the same answer; anything else — a tab, an escape, a non-ASCII byte, JSON, a row
// placed by its offsets, a bad row — makes it decline, and the caller parses the text (table.ts),
// which reads or refuses it.
import { RowReader, readRow, text } from './byterow.js';
import { tokenize } from './cells.js';
import { looksLikeHeader, Role, readHeader } from './header.js';
import type { ProxyStatusFormat } from './model.js';
import { Summary } from './summary.js';

/** Index of the first line feed in b[from, end), or -1. */
function lineFeed(b: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) if (b[i] === 10) return i;
  return -1;
}

/** The line b[lineStart, end) without its trailing spaces and carriage returns. */
function trimmed(b: Uint8Array, lineStart: number, end: number): number {
  let stop = end;
  while (stop > lineStart && (b[stop - 1] === 13 || b[stop - 1] === 32)) stop--;
  return stop;
}

/**
 * Reads a table's bytes as they come: feed each chunk, then the result. The rows of a large table are
 * read with their line end guessed (the first line feed after the last column starts): the row reader
 * looks at every byte before it, so a wrong guess (a line feed among them) only fails that read, and
 * the line is then cut at its first line feed and read again.
 */
export class TableBytesReader {
  private readonly r = new RowReader(new Summary());
  private format: ProxyStatusFormat | null = null;
  private header = false;
  private started = false;
  private declined = false;
  /** offset of the last column from the line's start (the line feed is after it). */
  private last = 0;

  /**
   * Reads the complete lines of b[0, end) (all of it when final) and returns where the first line it
   * did not read starts (keep those bytes and feed them again, followed by more); -1 when it declines
   * the input.
   */
  feed(input: Uint8Array, end: number, final: boolean): number {
    if (this.declined) return -1;
    const r = this.r;
    const b = plain(input);
    r.b = b;
    let pos = 0;
    while (pos < end) {
      const lineStart = pos;
      let guess = -1;
      if (this.header && lineStart + this.last < end) {
        guess = lineFeed(b, lineStart + this.last, end);
        if (guess < 0 && final) guess = end;
        if (guess >= 0 && readRow(r, lineStart, trimmed(b, lineStart, guess))) {
          pos = guess + 1;
          continue;
        }
      }
      let lineEnd = lineFeed(b, lineStart, guess < 0 ? end : guess);
      if (lineEnd < 0) lineEnd = guess;
      if (lineEnd < 0) {
        if (!final) return lineStart; // an unfinished line: fed again with what follows
        lineEnd = end;
      }
      pos = lineEnd + 1;
      const stop = trimmed(b, lineStart, lineEnd);
      if (stop === lineStart) continue;
      if (this.header && lineEnd !== guess && readRow(r, lineStart, stop)) continue;
      if (!this.otherLine(lineStart, stop)) {
        this.declined = true;
        return -1;
      }
    }
    return end;
  }

  /** The format and summary of everything fed; null when declined or when no header was found. */
  result(): { format: ProxyStatusFormat; summary: Summary } | null {
    return this.declined || this.format === null ? null : { format: this.format, summary: this.r.summary };
  }

  /** A line the row reader did not take: a header (read), a preamble line (skipped); false: the parser's. */
  private otherLine(lineStart: number, stop: number): boolean {
    const r = this.r;
    const line = text(r.b, lineStart, stop);
    if (/[^\x20-\x7e\r]/.test(line)) return false;
    // the parser reads JSON when the input opens with `{` or `[`
    if (!this.started && (line.trimStart().startsWith('{') || line.trimStart().startsWith('['))) return false;
    this.started = true;
    const cs: number[] = [];
    const ce: number[] = [];
    const n = tokenize(line, 0, line.length, cs, ce);
    if (!looksLikeHeader(line.slice(cs[0], ce[0]))) return !this.header;
    const h = readHeader(
      cs.slice(0, n).map((s, i) => line.slice(s, ce[i])),
      cs.slice(0, n),
    );
    if (h === null) return false;
    r.starts = h.starts;
    r.roles = h.roles;
    r.names = h.names;
    r.hasTypes = h.roles.includes(Role.Type);
    r.shared = new Map();
    r.signature = -1;
    r.preN = 0;
    this.last = h.starts[h.starts.length - 1]!;
    this.header = true;
    this.format ??= h.format;
    return true;
  }
}

/** A plain Uint8Array over the same bytes: a Buffer has another map, and the row code is optimised for one. */
function plain(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype
    ? b
    : new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/**
 * The summary of a table read by `read` (which fills buf[at, at + n) and returns how many bytes it
 * put there, 0 at the end) through buf: reused for every chunk, so a large file is never in memory at
 * once, and doubled only for a line longer than it. Null when the reader declines the input.
 */
export function summarizeTableChunks(
  read: (buf: Uint8Array, at: number, n: number) => number,
  buf: Uint8Array,
): { format: ProxyStatusFormat; summary: Summary } | null {
  const reader = new TableBytesReader();
  let b = buf;
  let have = 0; // bytes of an unfinished line at the start of b
  for (;;) {
    const n = read(b, have, b.length - have);
    const end = have + n;
    const used = reader.feed(b, end, n === 0);
    if (used < 0) return null;
    if (n === 0) return reader.result();
    have = end - used;
    if (have === b.length) {
      const longer = new Uint8Array(2 * b.length);
      longer.set(b);
      b = longer;
    } else b.copyWithin(0, used, end);
  }
}

/**
 * The summary of an istioctl table given as bytes, or null when this reader does not take the input
 * (then summarise its text with summarizeProxyStatus: same answer, or the error that names the line).
 */
export function summarizeTableBytes(b: Uint8Array): { format: ProxyStatusFormat; summary: Summary } | null {
  const reader = new TableBytesReader();
  return reader.feed(b, b.length, true) < 0 ? null : reader.result();
}
