import { readFile } from 'node:fs/promises';

/** A JSON file's top-level object (a package.json), or undefined when it is missing or not JSON. */
export async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
