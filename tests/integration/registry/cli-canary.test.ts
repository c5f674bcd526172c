/**
 * A canary secret in a provider's options never shows: the smtp provider's auth password comes from
 * `${SPOOL_CANARY_PASS}` in the profile, a real SMTP server on 127.0.0.1 rejects the login, and the canary is
 * then looked for in every line `spool` prints (text and --json, stdout and stderr), the doctor report, and
 * the bytes of every file under the profile's directory (the SQLite store and its -wal included).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reply, startSmtpServer } from '../test/smtp-helpers.js';
import { type CliResult, jsonOf, runSpool } from './cli.js';

const CANARY = `canary-${randomUUID()}`;
/** AUTH LOGIN sends the password base64-encoded: that form must not show either. */
const FORMS = [CANARY, Buffer.from(CANARY).toString('base64')];
const work = mkdtempSync(join(tmpdir(), 'spool-canary-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every file below `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('a secret in provider options', { timeout: 120_000 }, () => {
  it('appears in no output, no doctor report and no store byte after an authentication failure', async () => {
    const offered: string[] = [];
    const server = await startSmtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        offered.push(auth.password ?? '');
        callback(reply(535, '5.7.8 Authentication credentials invalid'));
      },
    });
    const dir = join(work, 'profile');
    const profile = [
      'providers:',
      '  - loopback',
      '  - provider: smtp',
      '    options:',
      '      host: 127.0.0.1',
      `      port: ${server.port}`,
      '      ignoreTLS: true',
      '      auth:',
      '        user: canary-user',
      '        pass: ${SPOOL_CANARY_PASS}',
      '',
    ].join('\n');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'spool.config.yaml'), profile);
    const env = { ...process.env, CI: 'true', SPOOL_CANARY_PASS: CANARY, SPOOL_LOG_LEVEL: 'debug' };
    const outputs: { args: string[]; result: CliResult }[] = [];
    const spool = async (...args: string[]): Promise<CliResult> => {
      const result = await runSpool(args, { cwd: dir, env });
      outputs.push({ args, result });
      return result;
    };

    const sent = await spool(
      'send',
      '--from',
      'SMTP:me@example.com',
      '--to',
      'SMTP:you@example.com',
      '--subject',
      'canary subject',
      '--body',
      'hello',
      '--json',
    );
    expect(sent.code, sent.stderr).toBe(0);
    const { id } = jsonOf<{ id: string }>(sent);
    const pass = await spool('run', '--once', '--json');
    expect(pass.code, pass.stderr).toBe(0);
    // The failure really happened, with the canary as the password the server was offered.
    expect(jsonOf(pass)).toMatchObject({ delivered: 0, deferred: 1 });
    expect(offered).toContain(CANARY);
    const queue = await spool('queue', '--json');
    expect(jsonOf<{ lastError: string }[]>(queue)[0]!.lastError).toMatch(/auth|535/i);

    await spool('run', '--once');
    await spool('status');
    await spool('status', '--json');
    await spool('queue');
    await spool('show', id);
    await spool('show', id, '--json');
    await spool('list', 'outbox', '--json');
    await spool('provider', 'list');
    await spool('provider', 'list', '--json');
    const info = await spool('provider', 'info', 'smtp', '--json');
    // The password is in the options info prints, masked.
    expect(jsonOf(info)).toMatchObject({
      accounts: [{ options: { auth: { user: 'canary-user', pass: '***' } } }],
    });
    await spool('provider', 'info', 'smtp');
    const doctor = await spool('provider', 'doctor', '--json');
    expect(jsonOf(doctor)).toMatchObject({ providers: [{ id: 'loopback' }, { id: 'smtp' }] });
    await spool('provider', 'doctor');

    for (const { args, result } of outputs) {
      for (const form of FORMS) {
        expect(result.stdout, `stdout of spool ${args.join(' ')}`).not.toContain(form);
        expect(result.stderr, `stderr of spool ${args.join(' ')}`).not.toContain(form);
      }
    }

    const files = filesUnder(dir).filter((file) => !file.endsWith('spool.config.yaml'));
    expect(files).toContain(join(dir, 'spool.db'));
    const bytes = files.map((file) => ({ file, content: readFileSync(file) }));
    // Positive control: the store's bytes do hold the message (so a stored secret would be found too).
    expect(bytes.some(({ content }) => content.includes('canary subject'))).toBe(true);
    for (const { file, content } of bytes) {
      for (const form of FORMS) expect(content.includes(form), `${form} in ${file}`).toBe(false);
    }
  });
});
