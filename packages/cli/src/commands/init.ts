import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROFILE_FILES } from '@spool/core';
import { SpoolError } from '@spool/spi';
import type { Command } from '../context.js';
import { CliErrorCode, ExitCode, usageError } from '../errors.js';

/** The file `spool init` writes. */
export const INIT_FILE = 'spool.config.yaml';

/** The profile `spool init` writes: the loopback provider, and every other key commented with its default. */
export const INIT_PROFILE = `# spool profile — see docs/profile.md for every key.
# Secrets come from the environment: write \${SMTP_PASSWORD}, never the value; they are redacted in output.

# Transport providers, in routing order: a recipient goes to the first logon that claims its address type.
# "provider" is a package name, a short name (loopback → @spool/provider-loopback) or a ./relative folder.
providers:
  - provider: loopback
    # id: loopback            # entry id; logons are <id>/<account>
    # options:                # checked against the provider's options schema
    #   latencyMs: 0
    # accounts:               # one logon per account; default: a single "default" account
    #   alice: {}
    # timeouts:               # per call into the provider
    #   inactivity: 60s       # reset by spoolerYield() and modifyStatusRow()
    #   hardCap: 10m

# A bare address (alice@example.com) gets this address type.
# defaultAddressType: SMTP

# The embedded message store, relative to this file.
# store:
#   path: spool.db

# Retries of temporary failures: delays in order (the last repeats), ± jitter, then an NDR after maxAge.
# retry:
#   schedule: [30s, 2m, 10m, 30m, 1h, 2h, 4h]
#   jitter: 0.2
#   maxAge: 3d

# How long finished messages stay in Sent and Deleted (default: forever).
# retention:
#   sent: 30d
#   deleted: 7d

# How often polling logons are polled when they do not set their own interval.
# pollInterval: 5s

# Inbound message class prefix → folder (longest prefix wins; IPM.Note → Inbox by default).
# receiveFolders:
#   REPORT: Inbox
`;

/** A profile file that cosmiconfig would find in `dir` (package.json counts only with a "spool" key). */
export function existingProfile(dir: string): string | undefined {
  for (const name of PROFILE_FILES) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    if (name !== 'package.json') return file;
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      if (pkg.spool !== undefined) return file;
    } catch {
      // An unreadable package.json is not a profile.
    }
  }
  return undefined;
}

/** `spool init [dir]`: writes a commented spool.config.yaml; refuses to replace a profile unless `--force`. */
export const init: Command = async ({ args, options, out, cwd }) => {
  if (args.length > 1) throw usageError(`spool init takes at most one directory, got ${args.length}`);
  const dir = resolve(cwd, args[0] ?? '.');
  const target = join(dir, INIT_FILE);
  const found = existingProfile(dir);
  if (found && !(options.force && found === target)) {
    throw new SpoolError(CliErrorCode.PROFILE_EXISTS, `a spool profile already exists: ${found}`, {
      hint:
        found === target
          ? 'Edit it, or pass --force to replace it with a fresh one.'
          : `Edit it, or remove it first: it is found before ${INIT_FILE}, so a new ${INIT_FILE} would be ignored.`,
      details: { file: found },
    });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(target, INIT_PROFILE);
  if (options.json) out.json({ file: target, providers: ['loopback'] });
  else {
    out.line(`${out.style.green('wrote')} ${target}`);
    out.line(out.style.dim('next: spool provider list   (then edit the file to add providers)'));
  }
  return ExitCode.OK;
};
