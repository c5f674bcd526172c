import { describe, expect, it } from 'vitest';
import type { Output } from '../src/output.js';
import { flushProgressView } from '../src/progress.js';

const plain = (text: string) => text;
function output(live: boolean) {
  const lines: string[] = [];
  const frames: string[][] = [];
  const out: Output = {
    line: (text = '') => lines.push(text),
    json: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    style: { bold: plain, dim: plain, red: plain, green: plain, yellow: plain },
    ...(live ? { live: (frame: readonly string[]) => frames.push([...frame]) } : {}),
  };
  return { out, lines, frames };
}

describe('flush progress', () => {
  it('on a terminal: one bar per logon and direction, redrawn in place', () => {
    const { out, lines, frames } = output(true);
    const view = flushProgressView(out, false);
    view.update({ logonId: 'smtp/default', direction: 'outbound', done: 0, total: 4 });
    view.update({ logonId: 'loopback/default', direction: 'outbound', done: 1, total: 1 });
    view.update({ logonId: 'smtp/default', direction: 'outbound', done: 2, total: 4 });
    view.update({ logonId: 'smtp/default', direction: 'outbound', done: 2, total: 4 }); // unchanged: no redraw
    expect(lines).toEqual([]);
    expect(frames).toHaveLength(3);
    expect(frames.at(-1)).toEqual([
      `smtp/default      outbound  [${'#'.repeat(12)}${'-'.repeat(12)}]  2/4`,
      `loopback/default  outbound  [${'#'.repeat(24)}]  1/1`,
    ]);
    expect(view.last).toHaveLength(2);
  });

  it('elsewhere: a plain line per change; with --json nothing until the report', () => {
    const piped = output(false);
    const view = flushProgressView(piped.out, false);
    view.update({ logonId: 'loopback/default', direction: 'inbound', done: 0, total: 2 });
    view.update({ logonId: 'loopback/default', direction: 'inbound', done: 2, total: 2 });
    expect(piped.lines).toEqual(['loopback/default  inbound   0/2', 'loopback/default  inbound   2/2']);
    const json = output(true);
    const quiet = flushProgressView(json.out, true);
    quiet.update({ logonId: 'a/b', direction: 'outbound', done: 1, total: 1 });
    expect(json.frames).toEqual([]);
    expect(quiet.last).toEqual([{ logonId: 'a/b', direction: 'outbound', done: 1, total: 1 }]);
  });
});
