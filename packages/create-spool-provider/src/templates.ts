/**
 * The files of a scaffolded provider package, as text. The provider is small but real: it writes each
 * delivered message as a JSON file into a folder, reports one outcome per recipient, honours cancellation
 * through `support.spoolerYield(signal)`, and is tested by the @spool/testkit conformance suite.
 */

/** What the templates are filled with. */
export interface TemplateInput {
  /** The npm package name, e.g. `spool-provider-folder` or `@acme/spool-provider-folder`. */
  readonly packageName: string;
  /** The address type it claims, upper-case, e.g. `FOLDER`. */
  readonly addressType: string;
  /** Name shown to people, e.g. `Folder`. */
  readonly displayName: string;
  /** One-line package description. */
  readonly description: string;
  /** The manifest's SPI range, `^MAJOR.MINOR.0` of the oldest SPI whose additions the templates use. */
  readonly spiRange: string;
  /** The devDependency ranges of the spool packages and tools. */
  readonly versions: Readonly<
    Record<'spi' | 'testkit' | 'tsup' | 'typescript' | 'vitest' | 'typesNode' | 'changesets', string>
  >;
}

/** The options every scaffolded provider starts with: name, JSON Schema type, default, description. */
export const OPTIONS = [
  {
    key: 'folder',
    type: 'string',
    default: 'outbox',
    description: 'Folder the messages are written to, relative to the profile directory.',
  },
  {
    key: 'rejectRecipients',
    type: 'string[]',
    default: '[]',
    description: 'Recipients (the part after the colon) that fail permanently instead of being written.',
  },
] as const;

export function packageJson(input: TemplateInput): string {
  const manifest = {
    name: input.packageName,
    version: '0.1.0',
    description: input.description,
    license: 'MIT',
    type: 'module',
    keywords: ['spool', 'spool-provider'],
    spool: { spi: input.spiRange, addressTypes: [input.addressType], entry: './dist/index.js' },
    exports: {
      '.': { types: './dist/index.d.ts', import: './dist/index.js' },
      './package.json': './package.json',
    },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['dist'],
    engines: { node: '>=22.18.0' },
    scripts: {
      build: 'tsup',
      typecheck: 'tsc --noEmit',
      // The conformance suite loads the built package (dist/) through the real loader: build first.
      test: 'tsup && vitest run',
      changeset: 'changeset',
      'version-packages': 'changeset version',
      release: 'tsup && changeset publish',
    },
    // @spool/spi is needed at build time only: tsup bundles defineProvider into dist/. At run time the
    // "spool" manifest above is the whole compatibility contract.
    devDependencies: {
      '@changesets/cli': input.versions.changesets,
      '@spool/spi': input.versions.spi,
      '@spool/testkit': input.versions.testkit,
      '@types/node': input.versions.typesNode,
      tsup: input.versions.tsup,
      typescript: input.versions.typescript,
      vitest: input.versions.vitest,
    },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function indexTs(input: TemplateInput): string {
  return `import { defineProvider } from '@spool/spi';
import manifest from '../package.json' with { type: 'json' };
import { openLogon } from './logon.js';
import { type Options, optionsSchema } from './options.js';

export type { Options } from './options.js';

/**
 * The provider's entry point. Name, version, SPI range and address types come from package.json, so the
 * runtime meta cannot drift from the manifest the host reads before it imports this file.
 */
export const xpProviderInit = defineProvider<Options>({
  name: manifest.name,
  version: manifest.version,
  spi: manifest.spool.spi,
  addressTypes: manifest.spool.addressTypes,
  displayName: ${JSON.stringify(input.displayName)},
  optionsSchema,
  // One implementation per profile entry: keep state here or on the logon, never in module globals.
  create: () => ({ transportLogon: openLogon }),
});
`;
}

export function optionsTs(_input: TemplateInput): string {
  return `/** The options of one logon (the profile entry's options merged with the account's). */
export interface Options {
  /** ${OPTIONS[0].description} Default \`${OPTIONS[0].default}\`. */
  folder?: string;
  /** ${OPTIONS[1].description} */
  rejectRecipients?: string[];
}

/** JSON Schema (2020-12) of {@link Options}: the host validates the profile section against it. */
export const optionsSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    folder: {
      type: 'string',
      minLength: 1,
      default: ${JSON.stringify(OPTIONS[0].default)},
      description: ${JSON.stringify(OPTIONS[0].description)},
    },
    rejectRecipients: {
      type: 'array',
      items: { type: 'string' },
      default: [],
      description: ${JSON.stringify(OPTIONS[1].description)},
    },
  },
} as const;
`;
}

export function logonTs(input: TemplateInput): string {
  return `import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type {
  LogonSection,
  OutboundMessage,
  OutboundRecipient,
  RecipientOutcome,
  SubmitMessageResult,
  TransportLogon,
  TransportSupport,
} from '@spool/spi';
import type { Options } from './options.js';

/**
 * Opens one logon (one account). "Delivering" a recipient writes the message as a JSON file into the
 * folder; a real provider would talk to its server here instead.
 */
export async function openLogon(support: TransportSupport, section: LogonSection<Options>): Promise<TransportLogon> {
  const folder = resolve(section.profileDir, section.options.folder ?? 'outbox');
  const rejected = new Set(section.options.rejectRecipients ?? []);
  await mkdir(folder, { recursive: true });
  support.modifyStatusRow({ identity: \`folder:\${folder}\`, text: 'ready' });

  async function write(message: OutboundMessage, recipient: OutboundRecipient): Promise<void> {
    const file = join(folder, \`\${message.id}-\${recipient.id}.json\`);
    const body = {
      messageId: message.messageId,
      from: message.from ?? null,
      to: recipient.address,
      subject: message.subject,
      text: message.text ?? null,
      attachments: message.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.content.byteLength })),
    };
    // Write, then rename: a crash never leaves half a file, and a retried hand-off overwrites the same name.
    await writeFile(\`\${file}.tmp\`, \`\${JSON.stringify(body, null, 2)}\\n\`);
    await rename(\`\${file}.tmp\`, file);
  }

  return {
    addressTypes: () => [${JSON.stringify(input.addressType)}],

    transportNotify() {
      // Nothing to open or close: the host keeps the traffic state in the status row.
    },

    async submitMessage(message, recipients, { signal }): Promise<SubmitMessageResult> {
      const outcomes: Record<string, RecipientOutcome> = {};
      // Report exactly the recipients handed over (never the message's other recipients), once each.
      for (const recipient of recipients) {
        // A cancellation point: throws SPOOL_E_CANCELLED once the signal aborted, and counts as activity.
        await support.spoolerYield(signal);
        if (rejected.has(recipient.value)) {
          outcomes[recipient.id] = { status: 'failed', reason: \`\${recipient.value} is rejected by this folder\` };
          continue;
        }
        await write(message, recipient);
        outcomes[recipient.id] = { status: 'delivered' };
      }
      return { recipients: outcomes };
    },

    async transportLogoff() {
      // Nothing to close. After this returns the support object is invalid: no timers may still use it.
    },
  };
}
`;
}

export function conformanceTest(input: TemplateInput): string {
  const type = input.addressType;
  return `/**
 * The SPI conformance suite from @spool/testkit, against the built package (dist/) through the real loader
 * and a real spooler; then the pack check: the published tarball installs and loads.
 */
import { fileURLToPath } from 'node:url';
import { packCheck, runConformance } from '@spool/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

runConformance({
  packageDir,
  addresses: [${JSON.stringify(`${type}:alice`)}, ${JSON.stringify(`${type}:bob`)}],
  options: { folder: 'delivered' },
  describe,
  it,
});

describe('the packed tarball', () => {
  it('installs into a scratch project and loads through the real loader', async () => {
    const report = await packCheck(packageDir);
    expect(report.files).toContain('dist/index.js');
  }, 120_000);
});
`;
}

export function folderTest(input: TemplateInput): string {
  const type = input.addressType;
  return `/** The provider's own behaviour, inside a real spooler (the @spool/testkit harness). */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHarness } from '@spool/testkit';
import { expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

it('writes one file per delivered recipient and fails the rejected ones', async () => {
  await using harness = await createHarness({ packageDir, options: { folder: 'out', rejectRecipients: ['mallory'] } });
  const { id } = await harness.submit({ to: [${JSON.stringify(`${type}:alice`)}, ${JSON.stringify(`${type}:mallory`)}], subject: 'Hello' });
  const message = await harness.deliver(id);
  expect(message.recipients.map((r) => r.outcome)).toEqual(['delivered', 'failed']);
  const files = await readdir(join(harness.dir, 'out'));
  expect(files).toEqual([\`\${id}-0.json\`]);
  const written = JSON.parse(await readFile(join(harness.dir, 'out', files[0]!), 'utf8'));
  expect(written).toMatchObject({ to: ${JSON.stringify(`${type}:alice`)}, subject: 'Hello' });
  // The host reports the rejected recipient in a non-delivery report in the Inbox.
  expect((await harness.inbox()).map((m) => m.subject)).toEqual(['Undeliverable: Hello']);
});
`;
}

export function readme(input: TemplateInput): string {
  const rows = OPTIONS.map((o) => `| \`${o.key}\` | ${o.type} | \`${o.default}\` | ${o.description} |`).join(
    '\n',
  );
  return `# ${input.packageName}

${input.description}

A [spool](https://www.npmjs.com/package/@spool/cli) transport provider for the address type \`${input.addressType}\`
(SPI \`${input.spiRange}\`).

## Install

\`\`\`sh
spool provider add ${input.packageName}
\`\`\`

\`spool provider add\` reads the \`"spool"\` manifest from the registry and installs the newest version whose SPI
range fits your spool.

## Profile

\`\`\`yaml
providers:
  - provider: ${input.packageName}
    options:
      folder: outbox
\`\`\`

Send to it with \`spool send --to ${input.addressType}:alice --subject Hello\`.

## Options

| option | type | default | description |
| --- | --- | --- | --- |
${rows}

## Develop

\`\`\`sh
pnpm install
pnpm test          # builds, then runs the @spool/testkit conformance suite and the pack check
pnpm changeset     # describe a change for the next release
pnpm release       # builds and publishes what the changesets bump (run pnpm version-packages first)
\`\`\`
`;
}

export const TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2023",
    "lib": ["ES2024", "ESNext.Disposable"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "verbatimModuleSyntax": true,
    "resolveJsonModule": true,
    "skipLibCheck": true,
    "noEmit": true,
    "types": ["node"]
  },
  "include": ["src", "test"]
}
`;

export const TSUP_CONFIG = `import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  // Bundle defineProvider: @spool/spi is a build-time dependency only.
  noExternal: ['@spool/spi'],
  removeNodeProtocol: false,
});
`;

export const VITEST_CONFIG = `import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, pool: 'forks' },
});
`;

export const CHANGESET_CONFIG = `{
  "$schema": "https://unpkg.com/@changesets/config@3.1.1/schema.json",
  "changelog": "@changesets/cli/changelog",
  "commit": false,
  "fixed": [],
  "linked": [],
  "access": "public",
  "baseBranch": "main",
  "updateInternalDependencies": "patch",
  "ignore": []
}
`;

export const CHANGESET_README = `# Changesets

Describe each user-visible change with \`pnpm changeset\` (past tense, what a user notices). \`pnpm
version-packages\` turns them into a version bump and a CHANGELOG entry; \`pnpm release\` builds and publishes.
Widening or narrowing \`"spool.spi"\` in package.json is a user-visible change: see docs/versioning.md of spool.
`;

export const GITIGNORE = `node_modules
dist
*.tgz
`;

/** Every file of a scaffolded package: path relative to the package → content. */
export function files(input: TemplateInput): Record<string, string> {
  return {
    'package.json': packageJson(input),
    'README.md': readme(input),
    'tsconfig.json': TSCONFIG,
    'tsup.config.ts': TSUP_CONFIG,
    'vitest.config.ts': VITEST_CONFIG,
    '.gitignore': GITIGNORE,
    '.changeset/config.json': CHANGESET_CONFIG,
    '.changeset/README.md': CHANGESET_README,
    'src/index.ts': indexTs(input),
    'src/options.ts': optionsTs(input),
    'src/logon.ts': logonTs(input),
    'test/conformance.test.ts': conformanceTest(input),
    'test/folder.test.ts': folderTest(input),
  };
}
