/**
 * The KnowledgeTransport on the embedded broker: the knowledge topic is a
 * log in the same SQLite file as the cache, so the investigator's transaction
 * is one SQLite transaction (fact appends, follow-up appends, the group
 * offset under the member's lease, the cache's own writes), and the changelog
 * reader polls the log. The same code path as on Kafka, inside one file.
 */
import { sleep } from '../core/sleep.js';
import { withStoreErrors } from '../store/errors.js';
import type { Store } from '../store/index.js';
import { LEASE_MS } from './embedded-group.js';
import { FETCH_BYTES, POLL_INTERVAL_MS, consumeLog } from './embedded.js';
import type { KnowledgeTransport } from './knowledge-port.js';

/**
 * A read of the knowledge topic, applied in one transaction: up to this many records within FETCH_BYTES of values
 * (reads of 512 made 60,000 facts some 120 commits, each synced).
 */
const BATCH = 5_000;

export function openEmbeddedKnowledge(store: Store, path: string, options: { leaseMs?: number } = {}): KnowledgeTransport {
  const safely = <T>(fn: () => T) => withStoreErrors(path, fn);
  return {
    kind: 'embedded',
    address: path,
    // The embedded log keeps every record: nothing is ever compacted away, so nothing to check.
    ensureCompactedTopic: async (topic) => safely(() => store.createLogTopic(topic)),
    topicExists: async (topic) => safely(() => store.logTopics().some((t) => t.name === topic)),
    endOffsets: async (topic) => new Map([[0, safely(() => store.logEndOffset(topic, 0))]]),
    follow: ({ topic, from, signal, onBatch, onReset }) => {
      const done = (async () => {
        let position = from.get(0) ?? 0;
        const end = safely(() => store.logEndOffset(topic, 0));
        if (position > end) {
          onReset?.(0, position, end);
          position = 0;
        }
        while (!signal.aborted) {
          const records = safely(() => store.readLog(topic, 0, position, BATCH, FETCH_BYTES));
          if (records.length === 0) {
            await sleep(POLL_INTERVAL_MS, signal).catch(() => undefined);
            continue;
          }
          position = records[records.length - 1].offset + 1;
          await onBatch({ topic, partition: 0, records, nextOffset: position });
        }
      })();
      done.catch(() => undefined);
      return { done };
    },
    consumeExactlyOnce: (consumeOptions, handler, onAssigned) =>
      consumeLog(store, path, consumeOptions, handler, options.leaseMs ?? LEASE_MS, {
        onAssigned,
        cache: consumeOptions.cache,
        bounds: consumeOptions.bounds,
      }),
    partitionOf: async () => 0,
    send: async (records) => safely(() => store.appendRecords(records)),
    close: async () => {},
  };
}
