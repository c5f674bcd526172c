#!/usr/bin/env node
// The `spool` command. Kept tiny: turn on Node's compile cache (faster second start), then hand over.
// `relaunch`: `spool run` restarts itself once in place with a 16 MB young generation semi-space (lower
// peak memory; see src/relaunch.ts). Only the bin asks for it; SPOOL_NODE_FLAGS=off opts out.
import module from 'node:module';

module.enableCompileCache?.();
const { main, relaunchForRun } = await import('../dist/index.js');
process.exitCode = await main(process.argv.slice(2), { relaunch: relaunchForRun });
