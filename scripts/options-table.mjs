#!/usr/bin/env node
// Regenerates the options table of a provider README from the options schema in its built runtime meta.
// Usage: node scripts/options-table.mjs providers/smtp [--check]
// The table sits between <!-- options:start --> and <!-- options:end -->; --check fails when it is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, flag] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/options-table.mjs <provider dir> [--check]');
  process.exit(2);
}
const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
const entry = resolve(dir, pkg.spool?.entry ?? pkg.main);
const { xpProviderInit } = await import(pathToFileURL(entry).href);
const schema = xpProviderInit.meta?.optionsSchema;
if (!schema?.properties) {
  console.error(`${pkg.name}: no options schema in the runtime meta (build the package first)`);
  process.exit(1);
}

const cell = (value) => String(value).replaceAll('|', '\\|').replaceAll('\n', ' ');
const typeOf = (property) => {
  if (property.enum) return property.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  if (property.type === 'array') return `${property.items?.type ?? 'any'}[]`;
  return Array.isArray(property.type) ? property.type.join(' | ') : (property.type ?? 'any');
};
const required = new Set(schema.required ?? []);
const rows = Object.entries(schema.properties).map(
  ([name, property]) =>
    `| \`${name}\` | ${cell(typeOf(property))} | ${required.has(name) ? 'yes' : 'no'} | ${
      property.default === undefined ? '' : `\`${cell(JSON.stringify(property.default))}\``
    } | ${cell(property.description ?? '')} |`,
);
const table = [
  '| option | type | required | default | description |',
  '| --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');

const readmePath = join(dir, 'README.md');
const readme = await readFile(readmePath, 'utf8');
const pattern = /<!-- options:start -->[\s\S]*?<!-- options:end -->/;
if (!pattern.test(readme)) {
  console.error(
    `${readmePath}: add <!-- options:start --> and <!-- options:end --> markers where the table goes`,
  );
  process.exit(1);
}
const next = readme.replace(pattern, `<!-- options:start -->\n${table}\n<!-- options:end -->`);
if (flag === '--check') {
  if (next !== readme) {
    console.error(`${readmePath}: options table is stale; run node scripts/options-table.mjs ${dir}`);
    process.exit(1);
  }
} else {
  await writeFile(readmePath, next);
}
