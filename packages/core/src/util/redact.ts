/**
 * Remembers secret values (from `${ENV}` references and secret-looking option keys) and replaces them in any
 * text or value before it is logged, printed, or put into an error. One instance per profile.
 */
export class Redactor {
  readonly #secrets = new Set<string>();

  /** Marks a value as secret. Values shorter than 4 characters are ignored: masking them would garble text. */
  add(secret: string): void {
    if (secret.length >= 4) this.#secrets.add(secret);
  }

  /** True when nothing is secret (redaction is then free). */
  get empty(): boolean {
    return this.#secrets.size === 0;
  }

  /** Replaces every secret in `text` with `***`. */
  text(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('***');
    return out;
  }

  /** Deep-copies `value` with every secret string masked. */
  value<T>(value: T): T {
    if (this.empty) return value;
    if (typeof value === 'string') return this.text(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.value(item)) as T;
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v)])) as T;
    }
    return value;
  }
}

/** Option keys whose values are secret whatever their source. */
export const SECRET_KEY_PATTERN = /pass(word)?|secret|token|api[-_]?key|private[-_]?key|credential/i;
