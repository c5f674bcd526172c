import { FOLDERS } from '../store/types.js';

/** Normalises a folder name typed by a person (`inbox` → `Inbox`); custom folders keep their spelling. */
export function normalizeFolder(name: string): string {
  return FOLDERS.find((folder) => folder.toLowerCase() === name.toLowerCase()) ?? name;
}

/**
 * The folder for an inbound message class: the longest matching `receiveFolders` prefix, case-insensitive,
 * else Inbox (MAPI's receive folder table).
 */
export function receiveFolderOf(
  receiveFolders: Readonly<Record<string, string>>,
  messageClass: string,
): string {
  let best: [string, string] | undefined;
  const lower = messageClass.toLowerCase();
  for (const [prefix, folder] of Object.entries(receiveFolders)) {
    const p = prefix.toLowerCase();
    if ((lower === p || lower.startsWith(`${p}.`) || p === '') && (!best || p.length > best[0].length))
      best = [p, folder];
  }
  return normalizeFolder(best?.[1] ?? 'Inbox');
}
