import { readFileSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { ErrorCode } from '@spool/core';
import { SpoolError } from '@spool/spi';
import { CliErrorCode } from './errors.js';

/** A provider entry as the CLI writes it into a profile. */
export interface NewProviderEntry {
  readonly provider: string;
  readonly id?: string;
  /**
   * The address types the provider's manifest claims (`spool.addressTypes`). Written into the entry so that
   * when the entry later cannot load (uninstalled, a broken update) the spooler still knows which mail is
   * its, and keeps that mail waiting instead of bouncing it.
   */
  readonly addressTypes?: readonly string[];
}

type Format = 'yaml' | 'json' | 'package.json';

/** How a profile file can be edited; JS and TS profiles are code, so the CLI never rewrites them. */
function formatOf(file: string, text: string): Format | undefined {
  const name = basename(file);
  if (name === 'package.json') return 'package.json';
  const ext = extname(name);
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  if (ext === '') {
    // `.spoolrc` holds YAML or JSON; cosmiconfig reads both with its YAML loader.
    try {
      JSON.parse(text);
      return 'json';
    } catch {
      return 'yaml';
    }
  }
  return undefined;
}

/**
 * Throws `SPOOL_E_PROFILE_NOT_EDITABLE` when the CLI cannot edit `file` (a JS/TS profile), so commands that
 * install something can refuse before they change anything. `entry` goes into the hint, to add by hand.
 */
export function assertProfileEditable(file: string, entry: NewProviderEntry): void {
  if (!formatOf(file, readFileSync(file, 'utf8'))) throw notEditable(file, entry);
}

function notEditable(file: string, entry: NewProviderEntry | string): SpoolError {
  const what =
    typeof entry === 'string'
      ? `Remove the entry ${entry} from its "providers" list by hand`
      : `Add this entry to its "providers" list by hand: ${JSON.stringify(entry)}`;
  return new SpoolError(
    CliErrorCode.PROFILE_NOT_EDITABLE,
    `${file} is a JavaScript/TypeScript profile; spool does not rewrite code`,
    { hint: what, details: { file, entry } },
  );
}

/**
 * Removes the provider entry at `index` of the profile's `providers` list (the `N` of its key path
 * `providers[N]`). YAML keeps its comments and layout; JSON is rewritten with its indent; JS/TS is refused.
 */
export async function removeProviderEntry(file: string, index: number, description: string): Promise<void> {
  const text = readFileSync(file, 'utf8');
  const format = formatOf(file, text);
  if (!format) throw notEditable(file, description);
  if (format === 'yaml') {
    const { isSeq, parseDocument } = await import('yaml');
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw invalid(file, '(file)', doc.errors[0]?.message ?? 'YAML syntax error');
    const providers = doc.get('providers', true);
    if (!isSeq(providers) || index >= providers.items.length)
      throw invalid(file, `providers[${index}]`, 'does not exist');
    providers.items.splice(index, 1);
    writeFileSync(file, doc.toString());
    return;
  }
  const json = JSON.parse(text) as Record<string, unknown>;
  const holder = format === 'package.json' ? (json.spool as Record<string, unknown> | undefined) : json;
  const providers = holder?.providers;
  if (!holder || !Array.isArray(providers) || index >= providers.length)
    throw invalid(file, `providers[${index}]`, 'does not exist');
  holder.providers = providers.filter((_, i) => i !== index);
  const indent = /^[ \t]+/m.exec(text)?.[0] ?? '  ';
  writeFileSync(file, `${JSON.stringify(json, null, indent)}\n`);
}

/**
 * Appends a provider entry to the profile file. YAML is edited through the `yaml` Document API, so comments
 * and layout survive; JSON is rewritten (two-space indent); package.json gets it under `"spool"`. JS/TS
 * profiles are refused with instructions, because rewriting code is not safe.
 */
export async function addProviderEntry(file: string, entry: NewProviderEntry): Promise<void> {
  const text = readFileSync(file, 'utf8');
  const format = formatOf(file, text);
  if (!format) throw notEditable(file, entry);
  const plainEntry = {
    ...(entry.id ? { id: entry.id } : {}),
    provider: entry.provider,
    ...(entry.addressTypes && entry.addressTypes.length > 0 ? { addressTypes: [...entry.addressTypes] } : {}),
  };
  if (format === 'yaml') {
    const { isMap, isNode, isScalar, isSeq, parseDocument } = await import('yaml');
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw invalid(file, '(file)', doc.errors[0]?.message ?? 'YAML syntax error');
    const providers = doc.get('providers', true);
    // `addressTypes: [SMTP]` on one line, as people write it.
    const entryNode = doc.createNode(plainEntry);
    const types = isMap(entryNode) ? entryNode.get('addressTypes', true) : undefined;
    if (isSeq(types)) types.flow = true;
    if (providers === undefined || providers === null) {
      doc.set('providers', doc.createNode([entryNode]));
    } else if (isSeq(providers)) {
      // The parser hangs every comment after the list's last item on that item, including the comments of
      // the top-level keys that follow when `providers` is the last key. Keep the item's own comment (up to
      // the first blank line) and move the rest to the end of the document, so the new item lands in between.
      const last = providers.items.at(-1);
      const lastPair = isMap(doc.contents) ? doc.contents.items.at(-1) : undefined;
      if (isNode(last) && last.comment && isScalar(lastPair?.key) && lastPair.key.value === 'providers') {
        const cut = last.comment.indexOf('\n\n');
        if (cut >= 0) {
          const tail = last.comment.slice(cut + 2);
          last.comment = last.comment.slice(0, cut);
          doc.comment = doc.comment ? `${tail}\n${doc.comment}` : tail;
        }
      }
      providers.add(entryNode);
    } else {
      throw invalid(file, 'providers', 'is not a list');
    }
    writeFileSync(file, doc.toString());
    return;
  }
  const json = JSON.parse(text) as Record<string, unknown>;
  let holder = json;
  if (format === 'package.json') {
    const spool = json.spool;
    if (typeof spool !== 'object' || spool === null || Array.isArray(spool))
      throw invalid(file, 'spool', 'is not an object');
    holder = spool as Record<string, unknown>;
  }
  const providers = holder.providers ?? [];
  if (!Array.isArray(providers)) throw invalid(file, 'providers', 'is not a list');
  holder.providers = [...providers, plainEntry];
  const indent = /^[ \t]+/m.exec(text)?.[0] ?? '  ';
  writeFileSync(file, `${JSON.stringify(json, null, indent)}\n`);
}

function invalid(file: string, key: string, problem: string): SpoolError {
  return new SpoolError(ErrorCode.PROFILE_INVALID, `${file}: ${key} ${problem}`, {
    hint: 'Fix the profile by hand, then run the command again.',
    details: { file, key },
  });
}
