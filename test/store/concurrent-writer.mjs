// A writer process for the concurrency test: runs write transactions back to
// back (versions, solver results, workflows, embedded-log records) against
// the cache at PATH for DURATION_MS, then prints how many it committed.
// Run from the built tree (npm run build).
import { openStore } from '../../dist/src/store/index.js';

const [path, durationMs] = process.argv.slice(2);
const store = openStore(path, { create: true, indexUrls: 'https://index.example/simple' });
const index = 'https://index.example/simple';
const until = Date.now() + Number(durationMs);
let transactions = 0;
process.stdout.write('ready\n');
while (Date.now() < until) {
  const n = transactions++;
  store.transaction(() => {
    for (let i = 0; i < 50; i++) {
      const key = { packageName: 'requests', packageVersion: `${n}.${i}.0`, indexUrl: index };
      store.recordSolved(key, 'solver-rhel-8-py38');
      store.recordUnresolved(key, new Date().toISOString(), null);
    }
    store.recordWorkflow({
      name: `solver-requests-${n}`,
      kind: 'solver',
      namespace: 'thoth',
      parameters: { THOTH_SOLVER_NAME: 'solver-rhel-8-py38' },
      idempotencyKey: `k${n}`,
      status: 'recorded',
      source: null,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      packageName: 'requests',
      packageVersion: `${n}.0.0`,
      indexUrl: index,
    });
  });
  store.appendRecords([{ topic: 'thoth.solver.solved-package', key: null, headers: {}, value: JSON.stringify({ n }) }]);
  // Yield now and then so that the process can be stopped.
  if (n % 20 === 0) await new Promise((r) => setImmediate(r));
}
store.close();
process.stdout.write(`${transactions}\n`);
