import { hostname } from 'node:os';
import { randomHex } from '../../util/random-hex.js';

/**
 * Lease owners of the embedded store. A lease belongs to the store instance that claimed it; the instance's
 * owner id says where it runs (`<tag>@<host>:<pid>`), which lets this store tell sooner than the lease expiry
 * that an instance is gone: an optimisation for the one-machine case (the SQLite file is local), never the
 * rule that correctness depends on — a lease that is not known to be gone waits for its expiry.
 */

/** Owners of instances open in this process; an owner of this process missing here was closed or abandoned. */
const openHere = new Set<string>();

/** A new owner id for an instance opened in this process. */
export function openOwner(): string {
  const owner = `${randomHex(8)}@${hostname()}:${process.pid}`;
  openHere.add(owner);
  return owner;
}

/** The instance closed: its owner id is no longer live in this process. */
export function closeOwner(owner: string): void {
  openHere.delete(owner);
}

/**
 * True when the owner is known to be gone: it ran on this machine and its process has exited, or it ran in
 * this process and its instance is no longer open. Owners on other machines (or written in another format)
 * are never known to be gone: their leases expire.
 */
export function isGoneOwner(owner: string): boolean {
  const match = /^([^@]+)@(.*):(\d+)$/.exec(owner);
  if (!match) return false;
  const [, , host, pidText] = match;
  if (host !== hostname()) return false;
  const pid = Number(pidText);
  if (pid === process.pid) return !openHere.has(owner);
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
