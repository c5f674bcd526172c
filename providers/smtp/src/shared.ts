import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { SpiErrorCode, SpoolError } from '@spool/spi';
import { SmtpErrorCode } from './errors.js';

/** Reads an option that is PEM text or a file path (relative to the profile directory). */
export async function pemOrFile(value: string, profileDir: string, option: string): Promise<string> {
  if (value.includes('-----BEGIN')) return value;
  const path = isAbsolute(value) ? value : resolve(profileDir, value);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new SpoolError(SmtpErrorCode.CONFIG, `cannot read ${option} from ${path}`, {
      cause: error,
      hint: `Give ${option} as PEM text or as a readable file path (relative paths start at the profile directory).`,
      details: { option, path },
    });
  }
}

/** Like `signal.throwIfAborted()`, but with the SPI's coded error, which the host recognises by `code`. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) {
    throw new SpoolError(SpiErrorCode.CANCELLED, 'SMTP hand-off cancelled', { cause: signal.reason });
  }
}
