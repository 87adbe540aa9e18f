// Where `thoth query stats` spends its start-up, step by step, in one fresh process: run by
// bench/startup.mjs (a child per sample), which takes the medians. Prints one JSON object:
// { step: milliseconds } in load order, each step's own time (what the earlier ones loaded is
// not loaded again). Usage: node bench/startup-steps.mjs CACHE_FILE
// The steps load tsc's modules (dist/src/), one file each: what thoth ran before the bundle of
// scripts/bundle.mjs, which loads the same code from a few dozen chunks (dist/bin/chunks/).
// Relative sizes hold; the sum is above what `thoth query stats` itself takes.
import { enableCompileCache } from '../dist/src/cli/startup.js';

const file = process.argv[2];
const steps = {};
let last = performance.now();
const step = (name) => {
  const now = performance.now();
  steps[name] = now - last;
  last = now;
};

steps['node until this script runs'] = last;
if (process.env.BENCH_COMPILE_CACHE !== '0') enableCompileCache(process.env);
step('compile cache enabled');
await import('../dist/src/cli/main.js');
step('dispatch core and commander');
await import('../dist/src/config/settings.js');
step('settings (with the PEP 440 parser)');
await import('../dist/src/commands/query.js');
step('query command, its service and presenter');
const { openStore } = await import('../dist/src/store/index.js');
step('store modules (better-sqlite3 JavaScript)');
const Database = (await import('better-sqlite3')).default;
new Database(':memory:').close();
step('better-sqlite3 addon loaded');
const store = openStore(file, { readonly: true });
step('cache opened (header check, schema version, connection)');
store.stats();
step('stats queries');
store.close();
process.stdout.write(JSON.stringify(steps));
