/**
 * A chart layout (layout.ts) as an SVG document: plain shapes and text in DejaVu Sans, the font png.ts
 * hands the renderer, so the picture is the same on every machine. Each line carries `data-target`
 * and `data-metric`, each panel `data-metric`. Pure.
 */
import type { ChartSpec, PanelSpec, Point } from './layout.js';

export const FONT = 'DejaVu Sans';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (v: number) => (Math.round(v * 10) / 10).toString();
const pts = (ps: Point[]) => ps.map(([x, y]) => `${n(x)},${n(y)}`).join(' ');

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`;
}

function panel(p: PanelSpec): string {
  const { x, y, w, h } = p.box;
  const out: string[] = [`<g data-metric="${esc(p.metric)}">`];
  for (const b of p.bands)
    out.push(
      `<rect data-band="${b.kind}" x="${n(b.x0)}" y="${n(y)}" width="${n(Math.max(0, b.x1 - b.x0))}" height="${n(h)}" fill="${b.fill}"/>`,
      text(b.x0 + 4, y + 14, b.label, 'font-size="11" fill="#555"'),
    );
  for (const t of p.yTicks)
    out.push(
      `<line x1="${n(x)}" x2="${n(x + w)}" y1="${n(t.y)}" y2="${n(t.y)}" stroke="#ddd" stroke-width="1"/>`,
      text(x - 8, t.y + 4, t.label, 'font-size="11" fill="#444" text-anchor="end"'),
    );
  for (const t of p.xTicks)
    out.push(
      `<line x1="${n(t.x)}" x2="${n(t.x)}" y1="${n(y + h)}" y2="${n(y + h + 5)}" stroke="#888"/>`,
      text(t.x, y + h + 18, t.label, 'font-size="11" fill="#444" text-anchor="middle"'),
    );
  for (const t of p.thresholds)
    out.push(
      `<line data-threshold="${esc(t.label)}" x1="${n(x)}" x2="${n(x + w)}" y1="${n(t.y)}" y2="${n(t.y)}" stroke="#c0392b" stroke-width="1" stroke-dasharray="6 4"/>`,
      text(
        x + w - 4,
        t.label.startsWith('≥') || t.y - y < 16 ? t.y + 13 : t.y - 4,
        t.label,
        'font-size="11" fill="#c0392b" text-anchor="end"',
      ),
    );
  out.push(
    `<line data-marker="wave-start" x1="${n(p.waveStartX)}" x2="${n(p.waveStartX)}" y1="${n(y)}" y2="${n(y + h)}" stroke="#222" stroke-width="1.5" stroke-dasharray="4 3"/>`,
    text(p.waveStartX + 4, y + h - 6, 'wave start', 'font-size="11" fill="#222"'),
  );
  for (const l of p.lines)
    for (const s of l.segments)
      out.push(
        s.length === 1
          ? `<circle data-target="${esc(l.target)}" data-metric="${esc(p.metric)}" cx="${n(s[0]![0])}" cy="${n(s[0]![1])}" r="2.5" fill="${l.color}"/>`
          : `<polyline data-target="${esc(l.target)}" data-metric="${esc(p.metric)}" points="${pts(s)}" fill="none" stroke="${l.color}" stroke-width="2" stroke-linejoin="round"/>`,
      );
  if (p.empty)
    out.push(
      text(x + w / 2, y + h / 2, 'no data in this window', 'font-size="14" fill="#888" text-anchor="middle"'),
    );
  out.push(
    `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="none" stroke="#999"/>`,
    text(x, y - 8, p.title, 'font-size="13" font-weight="bold" fill="#222"'),
    '</g>',
  );
  return out.join('\n');
}

export function chartSvg(c: ChartSpec): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${c.width}" height="${c.height}" viewBox="0 0 ${c.width} ${c.height}" font-family="${FONT}">`,
    `<rect width="${c.width}" height="${c.height}" fill="#ffffff"/>`,
    text(16, 28, c.title, 'font-size="18" font-weight="bold" fill="#111"'),
    text(16, 48, c.subtitle, 'font-size="12" fill="#555"'),
    ...c.panels.map(panel),
    ...c.legend.flatMap((l) => [
      `<rect x="${n(l.x)}" y="${n(l.y - 9)}" width="14" height="4" fill="${l.color}"/>`,
      text(l.x + 20, l.y, l.target, 'font-size="12" fill="#222"'),
    ]),
    ...(c.note ? [text(16, c.note.y, c.note.text, 'font-size="12" fill="#555"')] : []),
    '</svg>',
  ].join('\n');
}
