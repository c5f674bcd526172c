/**
 * The README's "Use spool in your project" block, run as written in an empty temporary folder: this
 * repository's packages are published to the run's Verdaccio first, npm is pointed at it for the `@spool`
 * scope (everything else comes from the registry npm is configured with), and `npm install --global` goes
 * into a temporary prefix. The block must exit 0 and the message must arrive in the Inbox.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestRegistry, useRegistry } from './use-registry.js';
import { publishWorkspacePackages, REPO_ROOT } from './workspace-packages.js';

const execFileAsync = promisify(execFile);

/** The shell blocks that follow a `<!-- readme-quickstart … -->` comment in `markdown`. */
function quickstartBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const pattern = /<!-- readme-quickstart[^>]*-->\s*```(?:sh|bash|shell)\n([\s\S]*?)```/g;
  for (const match of markdown.matchAll(pattern)) blocks.push(match[1]!);
  return blocks;
}

let registry: TestRegistry;
let work: string;
let versions: Record<string, string>;

beforeAll(async () => {
  registry = await useRegistry();
  work = await mkdtemp(join(tmpdir(), 'spool-readme-'));
  versions = await publishWorkspacePackages(registry, work);
}, 120_000);

afterAll(async () => {
  await registry?.release();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/**
 * A user's environment: their npm configuration (global config, default registry) plus a user config that
 * sends the `@spool` scope to the test registry, a global prefix and cache of its own, and the prefix's bin
 * first on PATH. npm settings inherited from the test runner (pnpm sets some) are dropped.
 */
async function userEnv(): Promise<{ env: NodeJS.ProcessEnv; prefix: string }> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_(config|package|lifecycle)_/i.test(key)),
  );
  const { stdout: globalconfig } = await execFileAsync('npm', ['config', 'get', 'globalconfig'], {
    env: base,
  });
  const auth = (await readFile(registry.npmrc, 'utf8')).split('\n').filter((line) => line.startsWith('//'));
  const npmrc = join(work, 'user.npmrc');
  await writeFile(
    npmrc,
    [
      `@spool:registry=${registry.url}`,
      ...auth,
      'audit=false',
      'fund=false',
      'update-notifier=false',
      '',
    ].join('\n'),
  );
  const prefix = join(work, 'global');
  return {
    prefix,
    env: {
      ...base,
      npm_config_userconfig: npmrc,
      npm_config_globalconfig: globalconfig.trim(),
      npm_config_prefix: prefix,
      npm_config_cache: join(work, 'npm-cache'),
      PATH: [join(prefix, 'bin'), dirname(process.execPath), base.PATH ?? ''].join(delimiter),
      CI: 'true',
      NO_COLOR: '1',
    },
  };
}

function sh(script: string, cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    // -e: stop at the first failing command; -x: echo each command to stderr, for the failure message.
    const child = spawn('sh', ['-e', '-x', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the README quick start for using spool from npm', () => {
  it(
    'is marked, installs the CLI, adds a provider, sends, runs, and the message arrives',
    { timeout: 300_000 },
    async () => {
      const blocks = quickstartBlocks(await readFile(join(REPO_ROOT, 'README.md'), 'utf8'));
      expect(blocks).toHaveLength(1);
      const block = blocks[0]!;
      expect(block).toMatch(/^npm install --global @spool\/cli$/m);
      expect(block).toMatch(/^spool provider add /m);

      const { env, prefix } = await userEnv();
      const folder = join(work, 'my-project');
      await mkdir(folder);
      const result = await sh(block, folder, env);
      const transcript = `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
      expect(result.code, transcript).toBe(0);
      expect(result.stdout, transcript).toContain(
        `installed @spool/provider-loopback@${versions['@spool/provider-loopback']}`,
      );
      expect(result.stdout, transcript).toMatch(/Hello from spool/);

      // The commands ran the CLI npm installed from the registry, and the message is in its Inbox.
      const installed = join(prefix, 'bin', 'spool');
      const { stdout: which } = await execFileAsync('sh', ['-c', 'command -v spool'], { env, cwd: folder });
      expect(which.trim()).toBe(installed);
      const { stdout: version } = await execFileAsync(installed, ['--version'], { env, cwd: folder });
      expect(version.trim()).toBe(versions['@spool/cli']);
      const { stdout: inbox } = await execFileAsync(installed, ['list', 'inbox', '--json'], {
        env,
        cwd: folder,
      });
      expect(JSON.parse(inbox)).toEqual([
        expect.objectContaining({ subject: 'Hello from spool', from: 'LOOP:me', text: 'It works' }),
      ]);
      const { stdout: list } = await execFileAsync(installed, ['provider', 'list', '--json'], {
        env,
        cwd: folder,
      });
      expect(JSON.parse(list)).toEqual([
        expect.objectContaining({
          id: 'loopback',
          source: 'managed',
          version: versions['@spool/provider-loopback'],
        }),
      ]);
    },
  );
});
