// A member of a consumer group on the embedded broker, as a separate process:
// follows TOPIC in the SQLite file at PATH as group GROUP (leases of LEASE_MS)
// and prints the `n` of each record it handles, one per line, until SIGTERM.
// Run from the built tree (npm run build).
import { openStore } from '../../dist/src/store/index.js';
import { openEmbeddedBroker } from '../../dist/src/transport/embedded.js';

const [path, group, topic, leaseMs] = process.argv.slice(2);
const store = openStore(path, { create: true, indexUrls: '' });
const broker = openEmbeddedBroker(store, path, { leaseMs: Number(leaseMs) });
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
const consumption = broker.consume({ topics: [topic], group, start: { from: 'earliest' }, signal: stop.signal }, async (record) => {
  process.stdout.write(`${JSON.parse(record.value).n}\n`);
});
process.stdout.write('started\n');
await consumption.done;
store.close();
