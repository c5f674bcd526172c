import { join } from 'node:path';
import { type InstallTarget, managedInstallTarget, resolveInstallTarget } from './install-target.js';
import { readJson } from './read-json.js';

/** The installed version of `name` for the profile, and where (project first, then the managed directory). */
export async function findInstalledProvider(
  name: string,
  profileDir: string,
): Promise<{ target: InstallTarget; version: string; packageDir: string } | undefined> {
  const project = await resolveInstallTarget(profileDir);
  const targets: InstallTarget[] = [project];
  // A provider added before the profile's directory became a project is still in the managed directory.
  if (project.mode === 'project') targets.push(managedInstallTarget(profileDir));
  for (const target of targets) {
    const pkg = await readJson(join(target.dir, 'package.json'));
    const deps = {
      ...(pkg?.dependencies as Record<string, string> | undefined),
      ...(pkg?.devDependencies as Record<string, string> | undefined),
    };
    if (deps[name] === undefined) continue;
    const packageDir = join(target.dir, 'node_modules', name);
    const installed = await readJson(join(packageDir, 'package.json'));
    return {
      target,
      // Recorded but missing from node_modules (not installed yet): the recorded version is all there is.
      version: typeof installed?.version === 'string' ? installed.version : deps[name],
      packageDir,
    };
  }
  return undefined;
}
