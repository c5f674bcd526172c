/** Random hex digits; Math.random is enough to keep two processes' ids apart, and costs no crypto import. */
export function randomHex(digits: number): string {
  let out = '';
  // 28 bits at a time: a small integer, which V8 turns into digits without the floating-point loop that
  // `toString(16)` of a larger number takes (measured on the hot path: ids are made for every message).
  while (out.length < digits) out += ((Math.random() * 0x10000000) | 0).toString(16).padStart(7, '0');
  return out.slice(0, digits);
}
