#!/usr/bin/env node
// The `spool` command. Kept tiny: turn on Node's compile cache (faster second start), then hand over.
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('../dist/index.js');
process.exitCode = await main(process.argv.slice(2));
