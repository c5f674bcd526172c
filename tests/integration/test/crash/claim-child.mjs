// A spooler process that claims one hand-off and dies before settling it (a real crash, not a simulation):
// `node claim-child.mjs <store file> <route>` routes every unrouted recipient to <route>, claims one hand-off
// with one preprocess run, prints the claim's run ids as JSON, and exits without closing the store.
import { openEmbeddedStore } from '@spool/core';

const [file, route] = process.argv.slice(2);
const store = await openEmbeddedStore(file);
const unrouted = await store.unrouted(100);
await store.route(unrouted.map(({ messageId, index }) => ({ messageId, index, route })));
const [claim] = await store.claim(route, { limit: 1, leaseMs: 60_000, preprocessors: 1 });
process.stdout.write(`${JSON.stringify({ runIds: claim?.runIds ?? [] })}\n`);
process.exit(0);
