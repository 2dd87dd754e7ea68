/**
 * Splits a slash-command text into words. Chat clients "improve" what people type: curly quotes
 * instead of straight ones, an em or en dash instead of `--`, non-breaking spaces. Undo those first.
 */
export function normalizeChatText(text: string): string {
  return text
    .replace(/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g, '"')
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
    .replace(/(^|\s)[\u2014\u2013\u2012\u2015](?=[a-z])/g, '$1--')
    .replace(/[\u00A0\u2007\u202F\u2009\u200A]/g, ' ')
    .replace(/[\u200B\u2060\uFEFF]/g, '');
}

export type TokenizeResult = { ok: true; words: string[] } | { ok: false; message: string };

export function tokenize(text: string): TokenizeResult {
  const s = normalizeChatText(text);
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) return { ok: false, message: `A ${quote} quote is not closed.` };
  if (inWord) words.push(cur);
  return { ok: true, words };
}
