import { ErrorCode, spoolError } from '../errors.js';
import { type Redactor, SECRET_KEY_PATTERN } from '../util/redact.js';

/**
 * Replaces `${NAME}` references in every string of a profile value with the environment's value, and
 * registers both those values and the values of secret-looking keys (`password`, `token`, …) with the
 * redactor. A reference to an unset variable is an error naming the profile key (`keyPath` is the key of
 * `value`: `''` for the whole profile, so keys read `providers[0].options.password`).
 */
export function resolveEnvReferences(
  value: unknown,
  keyPath: string,
  context: { env: NodeJS.ProcessEnv; redactor: Redactor; file: string },
): unknown {
  if (typeof value === 'string') {
    // Most strings hold no reference: skip the pattern for them (profile loading is on the start path).
    if (!value.includes('${')) return value;
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const resolved = context.env[name];
      if (resolved === undefined) {
        throw spoolError(
          ErrorCode.ENV_MISSING,
          `${context.file}: ${keyPath} refers to \${${name}}, but the environment variable ${name} is not set`,
          `Set ${name} in the environment of the spooler (e.g. export ${name}=…), or remove the reference.`,
          { file: context.file, key: keyPath, variable: name },
        );
      }
      context.redactor.add(resolved);
      return resolved;
    });
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => resolveEnvReferences(item, `${keyPath}[${index}]`, context));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = resolveEnvReferences(item, keyPath ? `${keyPath}.${key}` : key, context);
      if (typeof resolved === 'string' && SECRET_KEY_PATTERN.test(key)) context.redactor.add(resolved);
      out[key] = resolved;
    }
    return out;
  }
  return value;
}
