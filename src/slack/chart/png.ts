/**
 * SVG → PNG with resvg compiled to WebAssembly (@resvg/resvg-wasm, ADR 16): one package, no native
 * binary per platform, no system fonts — the text is drawn with DejaVu Sans from the dejavu-fonts-ttf
 * package, loaded once with the WebAssembly module. Rendering is synchronous and takes tens of ms for
 * a chart; the wasm objects are freed after each render.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import { FONT } from './svg.js';

const require = createRequire(import.meta.url);
let ready: Promise<Uint8Array[]> | undefined;

/** Loads the WebAssembly module and the fonts, once per process (a failed load is tried again). */
function load(): Promise<Uint8Array[]> {
  ready ??= (async () => {
    const [wasm, regular, bold] = await Promise.all([
      readFile(require.resolve('@resvg/resvg-wasm/index_bg.wasm')),
      readFile(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')),
      readFile(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')),
    ]);
    await initWasm(wasm);
    return [regular, bold];
  })().catch((e: unknown) => {
    ready = undefined;
    throw e;
  });
  return ready;
}

export interface Png {
  png: Buffer;
  width: number;
  height: number;
}

export async function svgToPng(svg: string): Promise<Png> {
  const fontBuffers = await load();
  const r = new Resvg(svg, {
    font: { fontBuffers, defaultFontFamily: FONT, sansSerifFamily: FONT },
    background: '#ffffff',
  });
  try {
    const img = r.render();
    try {
      return { png: Buffer.from(img.asPng()), width: img.width, height: img.height };
    } finally {
      img.free();
    }
  } finally {
    r.free();
  }
}
