import { hostname } from 'node:os';
import { randomHex } from '../util/random-hex.js';

let last = 0;
let lastText = '';
let counter = 0;

/**
 * A message id that sorts by creation time (base36 time, then a counter within the millisecond, then
 * randomness so two processes never collide). Sortable ids keep listings and FIFO stable and readable.
 */
export function newMessageId(now: number = Date.now()): string {
  if (now === last) counter += 1;
  else {
    last = now;
    lastText = now.toString(36).padStart(9, '0'); // once per millisecond, not once per id
    counter = 0;
  }
  return `${lastText}${counter.toString(36).padStart(3, '0')}${randomHex(10)}`;
}

const host = hostname().replace(/[^A-Za-z0-9.-]/g, '') || 'spool';

/** The RFC 5322 Message-ID for a message id: assigned once at submit and kept through every retry. */
export function rfcMessageId(id: string): string {
  return `<${id}@${host}>`;
}
