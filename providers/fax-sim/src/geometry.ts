import type { FaxPaper, FaxResolution } from './options.js';

/** PDF points per inch. */
const POINTS_PER_INCH = 72;

/** Horizontal dot pitch of every Group 3 fax: 1728 dots across a 215 mm scan line (T.4), about 204 dpi. */
const HORIZONTAL_DPI = 204;

/** Scan lines per inch for each resolution (T.4: 3.85 and 7.7 lines/mm). */
const VERTICAL_DPI: Readonly<Record<FaxResolution, number>> = { fine: 196, standard: 98 };

/** Paper sizes in PDF points (the same values pdfkit uses for its named sizes). */
const PAPER_POINTS: Readonly<Record<FaxPaper, readonly [number, number]>> = {
  A4: [595.28, 841.89],
  Letter: [612, 792],
};

/**
 * Modified Huffman coding (T.4) compresses a typical text page about 15:1; the simulation uses that
 * fixed ratio, so the time per page depends only on paper, resolution and baud rate.
 */
const COMPRESSION_RATIO = 15;

/** The geometry of a fax page: what the renderer lays out and what the line transmits. */
export interface FaxGeometry {
  readonly paper: FaxPaper;
  readonly resolution: FaxResolution;
  /** Page width and height in PDF points. */
  readonly widthPt: number;
  readonly heightPt: number;
  /** Dots per inch across and scan lines per inch down. */
  readonly dpiX: number;
  readonly dpiY: number;
  /** Dots per scan line and scan lines per page. */
  readonly dotsPerLine: number;
  readonly linesPerPage: number;
}

/** The geometry for a paper size at a resolution. */
export function faxGeometry(paper: FaxPaper, resolution: FaxResolution): FaxGeometry {
  const [widthPt, heightPt] = PAPER_POINTS[paper];
  const dpiY = VERTICAL_DPI[resolution];
  return {
    paper,
    resolution,
    widthPt,
    heightPt,
    dpiX: HORIZONTAL_DPI,
    dpiY,
    dotsPerLine: 1728,
    linesPerPage: Math.round((heightPt / POINTS_PER_INCH) * dpiY),
  };
}

/**
 * Real-time duration of one page on the wire, in ms: raw bits (dots × scan lines) over the compression
 * ratio, at the line's baud rate. Fine A4 at 14400 bit/s is about 18 s, standard about 9 s.
 */
export function pageTransmitMs(geometry: FaxGeometry, baud: number): number {
  const bits = (geometry.dotsPerLine * geometry.linesPerPage) / COMPRESSION_RATIO;
  return Math.round((bits / baud) * 1000);
}

/**
 * The size in PDF points at which an image of `widthPx` × `heightPx` goes on a fax page: one image pixel
 * per fax dot across (204 dpi), the aspect ratio kept, and the height rounded to whole scan lines of the
 * resolution, since the receiving machine prints nothing finer (a scan line is twice as tall in standard).
 */
export function pixelsToPoints(geometry: FaxGeometry, widthPx: number, heightPx: number): [number, number] {
  const widthPt = (widthPx / geometry.dpiX) * POINTS_PER_INCH;
  const scanLines = Math.max(1, Math.round((heightPx / geometry.dpiX) * geometry.dpiY));
  return [widthPt, (scanLines / geometry.dpiY) * POINTS_PER_INCH];
}
