/** The result of {@link normaliseFaxNumber}: the number in canonical form, or why it is not one. */
export type FaxNumberResult =
  | { readonly ok: true; readonly number: string }
  | { readonly ok: false; readonly reason: string };

/** Separators people write inside phone numbers; they carry no meaning for dialling. */
const SEPARATORS = /[\s.\-()]/g;

/** E.164: a `+`, then the country code and the national number, at most 15 digits in all. */
const E164 = /^\+\d{1,15}$/;

/**
 * Normalises a fax number as written after `FAX:`: strips spaces, dots, dashes and parentheses, then
 * requires E.164 form (`+` and at most 15 digits). `+1 (555) 010-0` → `+15550100`. National numbers
 * without a country code are refused rather than guessed, since a wrong guess dials a stranger.
 */
export function normaliseFaxNumber(value: string): FaxNumberResult {
  const number = value.replace(SEPARATORS, '');
  if (E164.test(number)) return { ok: true, number };
  return {
    ok: false,
    reason: `invalid fax number "${value}": expected + followed by at most 15 digits (spaces, dots, dashes and parentheses are ignored), e.g. FAX:+1 555 0100`,
  };
}

/**
 * True when `number` (normalised) matches one of `rules`. A rule is written like a recipient and
 * normalised the same way; a trailing `*` makes it a prefix, so `+1555*` covers a whole range.
 */
export function matchesNumberRule(number: string, rules: readonly string[]): boolean {
  return rules.some((rule) => {
    const prefix = rule.endsWith('*');
    const canonical = (prefix ? rule.slice(0, -1) : rule).replace(SEPARATORS, '');
    return prefix ? number.startsWith(canonical) : number === canonical;
  });
}
