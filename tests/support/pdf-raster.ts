/**
 * A PDF page as pixels, rendered by poppler's pdftoppm (grey levels, PGM), to check what a reader
 * would see: that the page is not blank and that the glyphs of a text are really drawn.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GreyImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** Renders the PDF's first page at `dpi`. */
export function rasterFirstPage(pdf: Buffer, dpi = 50): GreyImage {
  const dir = mkdtempSync(join(tmpdir(), 'pdf-raster-'));
  try {
    writeFileSync(join(dir, 'in.pdf'), pdf);
    execFileSync('pdftoppm', ['-gray', '-r', String(dpi), '-f', '1', '-l', '1', '-singlefile', join(dir, 'in.pdf'), join(dir, 'page')]);
    const pgm = readFileSync(join(dir, 'page.pgm'));
    // Binary PGM: "P5\n<w> <h>\n<max>\n" then one byte per pixel.
    const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 50).toString('latin1'));
    if (!header) throw new Error('pdftoppm did not write a binary PGM');
    const [, w, h] = header.map(Number) as [number, number, number];
    return { width: w, height: h, pixels: new Uint8Array(pgm.subarray(header[0].length)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Pixels visibly darker than the white page (grey level under 200 of 255) in rows [fromRow, toRow). */
export function inkInRows(image: GreyImage, fromRow: number, toRow: number): number {
  let ink = 0;
  for (let y = fromRow; y < Math.min(toRow, image.height); y++) {
    for (let x = 0; x < image.width; x++) if (image.pixels[y * image.width + x]! < 200) ink++;
  }
  return ink;
}
