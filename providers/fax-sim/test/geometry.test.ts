import { describe, expect, it } from 'vitest';
import { faxGeometry, pageTransmitMs, pixelsToPoints } from '../src/geometry.js';

describe('fax geometry', () => {
  it('has 1728 dots per line and 196 or 98 scan lines per inch', () => {
    expect(faxGeometry('A4', 'fine')).toMatchObject({
      dpiX: 204,
      dpiY: 196,
      dotsPerLine: 1728,
      linesPerPage: 2292,
    });
    expect(faxGeometry('A4', 'standard')).toMatchObject({ dpiY: 98, linesPerPage: 1146 });
    expect(faxGeometry('Letter', 'fine')).toMatchObject({ widthPt: 612, heightPt: 792, linesPerPage: 2156 });
  });

  it('derives the time per page from the scan lines and the baud rate', () => {
    const fine = pageTransmitMs(faxGeometry('A4', 'fine'), 14400);
    const standard = pageTransmitMs(faxGeometry('A4', 'standard'), 14400);
    expect(fine).toBe(18336);
    expect(standard).toBe(fine / 2);
    expect(pageTransmitMs(faxGeometry('A4', 'fine'), 9600)).toBe(27504);
  });

  it('places images one pixel per dot, keeping the aspect ratio, in whole scan lines', () => {
    expect(pixelsToPoints(faxGeometry('A4', 'fine'), 204, 102)).toEqual([72, 36]);
    expect(pixelsToPoints(faxGeometry('A4', 'standard'), 204, 102)).toEqual([72, 36]);
    // A one-pixel line is one scan line: twice as tall at standard resolution.
    const [, fineHeight] = pixelsToPoints(faxGeometry('A4', 'fine'), 204, 1);
    const [, standardHeight] = pixelsToPoints(faxGeometry('A4', 'standard'), 204, 1);
    expect(fineHeight).toBeCloseTo(72 / 196, 6);
    expect(standardHeight).toBeCloseTo(72 / 98, 6);
  });
});
