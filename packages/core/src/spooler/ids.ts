import { hostname } from 'node:os';

let last = 0;

/** Random hex digits; Math.random is enough to keep two processes' ids apart, and costs no crypto import. */
function randomHex(digits: number): string {
  let out = '';
  while (out.length < digits)
    out += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, digits);
}
let counter = 0;

/**
 * A message id that sorts by creation time (base36 time, then a counter within the millisecond, then
 * randomness so two processes never collide). Sortable ids keep listings and FIFO stable and readable.
 */
export function newMessageId(now: number = Date.now()): string {
  if (now === last) counter += 1;
  else {
    last = now;
    counter = 0;
  }
  return `${now.toString(36).padStart(9, '0')}${counter.toString(36).padStart(3, '0')}${randomHex(10)}`;
}

const host = hostname().replace(/[^A-Za-z0-9.-]/g, '') || 'spool';

/** The RFC 5322 Message-ID for a message id: assigned once at submit and kept through every retry. */
export function rfcMessageId(id: string): string {
  return `<${id}@${host}>`;
}
