import { spawn } from 'node:child_process';
import { SpoolError } from '@spool/spi';
import { InstallErrorCode } from './errors.js';
import type { InstallTarget } from './install-target.js';

/** The result of running a package manager. */
export interface RunResult {
  readonly code: number;
  readonly output: string;
}

/** Runs a package manager with no stdin, no prompts (`CI=true`), collecting its output. */
export function runPackageManager(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: {
        ...env,
        CI: 'true',
        npm_config_yes: 'true',
        npm_config_fund: 'false',
        npm_config_audit: 'false',
        npm_config_update_notifier: 'false',
        YARN_ENABLE_IMMUTABLE_INSTALLS: 'false',
        YARN_ENABLE_INTERACTIVE: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new SpoolError(
          InstallErrorCode.INSTALL_FAILED,
          missing ? `${command} is not on PATH.` : `Could not run ${command}: ${error.message}`,
          {
            hint: missing
              ? `Install ${command} (or enable it with corepack enable) and try again.`
              : undefined,
            cause: error,
            details: { command, args, cwd },
          },
        ),
      );
    });
    child.once('close', (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

/** The arguments that add exactly `spec` as a dependency of the target, running install scripts only if allowed. */
export function addArgs(target: InstallTarget, spec: string, name: string, allowScripts: boolean): string[] {
  switch (target.packageManager) {
    case 'npm':
      return [
        'install',
        '--save-exact',
        '--no-audit',
        '--no-fund',
        ...(allowScripts ? [] : ['--ignore-scripts']),
        spec,
      ];
    case 'pnpm':
      return [
        'add',
        '--save-exact',
        ...(target.workspaceRoot ? ['--workspace-root'] : []),
        // pnpm 10 runs no dependency build scripts unless allowed by name.
        ...(allowScripts ? [`--allow-build=${name}`] : ['--ignore-scripts']),
        spec,
      ];
    case 'yarn':
      return ['add', '--exact', ...(allowScripts ? [] : ['--mode=skip-build']), spec];
  }
}

/** The arguments that remove the dependency `name` from the target. */
export function removeArgs(target: InstallTarget, name: string): string[] {
  switch (target.packageManager) {
    case 'npm':
      return ['uninstall', '--no-audit', '--no-fund', '--ignore-scripts', name];
    case 'pnpm':
      return ['remove', ...(target.workspaceRoot ? ['--workspace-root'] : []), name];
    case 'yarn':
      return ['remove', name];
  }
}

/** The arguments that bring node_modules in line with the target's package.json and lockfile. */
export function syncArgs(target: InstallTarget): string[] {
  switch (target.packageManager) {
    case 'npm':
      return ['install', '--no-audit', '--no-fund', '--ignore-scripts'];
    case 'pnpm':
      return ['install', '--ignore-scripts'];
    case 'yarn':
      return ['install', '--mode=skip-build'];
  }
}
