import { ErrorCode, spoolError } from '../errors.js';

/**
 * The most values a profile may hold once its YAML aliases are expanded. A YAML alias (`*name`) makes the
 * parser return the anchored value itself, shared, so a 1 KB file of nested aliases (an "alias bomb", the
 * billion-laughs attack) parses at once into a value that expands to billions: every walk of the profile
 * after that (`${ENV}` resolution, copying, printing) would run the process out of memory. The `yaml`
 * package limits this with `maxAliasCount`; the profile's parser (js-yaml, through cosmiconfig) has no
 * limit, so the profile is measured here, before anything walks it. Real profiles hold hundreds of values.
 */
export const MAX_PROFILE_VALUES = 100_000;

/**
 * Throws `SPOOL_E_PROFILE_INVALID` when `value` expands to more than {@link MAX_PROFILE_VALUES} values, or
 * refers to itself (a JS profile can; it would never finish expanding). Counts with memoisation by identity,
 * so the work is linear in the distinct values, however far the aliases would expand.
 */
export function checkExpansion(value: unknown, file: string | undefined): void {
  const sizes = new Map<object, number>();
  const inProgress = new Set<object>();
  const fail = (problem: string, hint: string) =>
    spoolError(ErrorCode.PROFILE_INVALID, `${file ?? 'profile'}: ${problem}`, hint, {
      file: file ?? null,
      key: '(top level)',
    });
  const size = (node: unknown): number => {
    if (node === null || typeof node !== 'object') return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (inProgress.has(node))
      throw fail(
        'refers to itself (a value contains itself)',
        'Write the profile as plain data, without cycles.',
      );
    inProgress.add(node);
    let total = 1;
    for (const child of Object.values(node)) {
      total += size(child);
      if (total > MAX_PROFILE_VALUES) {
        throw fail(
          `expands to more than ${MAX_PROFILE_VALUES} values once its YAML aliases (*name) are expanded, so it is refused (a nested-alias "bomb" would exhaust memory)`,
          'Use fewer nested aliases: anchor (&name) a mapping and refer to it (*name, or <<: *name) from the entries that share it.',
        );
      }
    }
    inProgress.delete(node);
    sizes.set(node, total);
    return total;
  };
  size(value);
}
