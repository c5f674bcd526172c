#!/usr/bin/env node
// `pnpm create spool-provider <name>` / `npm init spool-provider <name>`: hand over to the built CLI.
const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv.slice(2));
