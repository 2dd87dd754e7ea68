/**
 * Small pure helpers for Block Kit: escaping, clipping to Slack's limits, and cutting long lists with a
 * count of what was left out. Limits from docs.slack.dev/reference/block-kit (checked again by the
 * emulator's independent validator in tests).
 */
import type { types } from '@slack/bolt';

export type Block = types.KnownBlock;
export interface SlackMessage {
  /** Fallback text (notifications, screen readers); ≤ 40,000 characters. */
  text: string;
  blocks: Block[];
}

export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  headerText: 150,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  messageText: 40_000,
} as const;

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Escapes text the bot wrote itself that may hold channel links (`<#C…>`, as policy refusals do):
 * everything is escaped, then only well-formed channel links are given back, so they stay links and
 * nothing else (no `<!channel>`, no URL) gets through.
 */
export const escKeepingChannels = (s: string): string =>
  esc(s).replace(/&lt;#([CG][A-Z0-9]{2,20})(?:\|[\w-]{0,80})?&gt;/g, '<#$1>');

/** Clips to `max` characters (by UTF-16 length, as Slack counts), ending with `…` when cut. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = s.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1); // never split a surrogate pair
  return `${cut}…`;
}

export const mention = (user: string): string => (user === 'engine' ? 'the bot' : `<@${user}>`);

/** A date people read in their own time zone, with the ISO time as fallback. */
export function when(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return esc(iso);
  return `<!date^${Math.floor(t / 1000)}^{date_short_pretty} {time_secs}|${iso}>`;
}

export const section = (text: string, blockId?: string): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(text || ' ', LIMITS.sectionText) },
  ...(blockId ? { block_id: blockId } : {}),
});

export const header = (text: string): Block => ({
  type: 'header',
  text: { type: 'plain_text', text: clip(text, LIMITS.headerText), emoji: true },
});

export const context = (...texts: string[]): Block => ({
  type: 'context',
  elements: texts
    .slice(0, LIMITS.contextElements)
    .map((t) => ({ type: 'mrkdwn' as const, text: clip(t || ' ', LIMITS.sectionText) })),
});

export const divider = (): Block => ({ type: 'divider' });

export const fields = (pairs: [string, string][]): Block => ({
  type: 'section',
  fields: pairs
    .slice(0, LIMITS.fields)
    .map(([k, v]) => ({ type: 'mrkdwn' as const, text: clip(`*${k}*\n${v}`, LIMITS.fieldText) })),
});

/**
 * Joins lines into at most `maxChars` characters and `maxLines` lines; when some are left out, the last
 * line says how many and where to see them (`more(n)`). The result always fits in `maxChars`.
 */
export function cutList(
  lines: string[],
  opts: { maxChars: number; maxLines?: number; more: (left: number) => string },
): { text: string; shown: number; left: number } {
  const maxLines = opts.maxLines ?? Number.POSITIVE_INFINITY;
  const all = lines.join('\n');
  if (lines.length <= maxLines && all.length <= opts.maxChars)
    return { text: all, shown: lines.length, left: 0 };
  let k = 0;
  let used = 0; // length of lines[0..k) joined, each followed by a newline
  while (k < lines.length && k < maxLines) {
    const next = used + lines[k]!.length + 1;
    if (next + opts.more(lines.length - k - 1).length > opts.maxChars) break;
    used = next;
    k++;
  }
  const text = `${lines.slice(0, k).join('\n')}${k ? '\n' : ''}${opts.more(lines.length - k)}`;
  return { text: clip(text, opts.maxChars), shown: k, left: lines.length - k };
}

/** Caps a block list at Slack's 50 per message, replacing the overflow with one note. */
export function capBlocks(blocks: Block[], note: (left: number) => string): Block[] {
  if (blocks.length <= LIMITS.blocks) return blocks;
  const keep = blocks.slice(0, LIMITS.blocks - 1);
  return [...keep, context(note(blocks.length - keep.length))];
}
