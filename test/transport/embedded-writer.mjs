// A second process for the embedded-broker tests: appends COUNT records to
// TOPIC in the SQLite file at PATH through the built store, one send each,
// DELAY_MS apart. Run from the built tree (npm run build).
import { openStore } from '../../dist/src/store/index.js';
import { openEmbeddedBroker } from '../../dist/src/transport/embedded.js';

const [path, topic, count, delayMs] = process.argv.slice(2);
const store = openStore(path, { create: true });
const broker = openEmbeddedBroker(store, path);
for (let i = 0; i < Number(count); i++) {
  await broker.send([{ topic, key: `k${i}`, headers: { writer: String(process.pid) }, value: JSON.stringify({ n: i }) }]);
  await new Promise((r) => setTimeout(r, Number(delayMs)));
}
await broker.close();
store.close();
