/**
 * `thoth cache`: the local cache against a deployment's knowledge topic.
 *
 * - sync: reads the topic into the cache, as an investigator replica does
 *   before it consumes (src/transport/knowledge-sync.ts), and tells how fresh
 *   the cache is; with `follow` it keeps reading until stopped. `thoth query`
 *   then answers for the whole deployment. On Kafka the deployment's
 *   dead-letter topic is read too: `thoth dead-letters list` then shows every
 *   replica's dead letters.
 * - rebuild: writes every fact the cache holds to the topic (created
 *   compacted when missing), for a topic that was lost, or created after the
 *   cache. Facts have set semantics: writing one the topic has changes nothing.
 */
import { KNOWLEDGE_BASE_TOPIC } from '../facts/codec.js';
import { DEAD_LETTER_BASE_TOPIC, topicName } from '../messages/topics.js';
import type { Store } from '../store/index.js';
import type { KnowledgeTransport } from '../transport/knowledge-port.js';
import { deadLetterSync, knowledgeSync, type KnowledgeSync } from '../transport/knowledge-sync.js';

/** Partitions of a knowledge topic `rebuild` creates (the investigator's own choice, src/investigate/sources.ts). */
const REBUILD_PARTITIONS = 6;
const REBUILD_CHUNK = 500;

export interface Freshness {
  topic: string;
  /** Facts in the cache now. */
  facts: number;
  /** The newest `at` among them: when the last thing the cache knows was learnt. */
  newest_fact_at: string | null;
  /** When the last record read was written to the topic. */
  last_record_at: string | null;
  /** Every partition: how far the cache has read it, and where it ends (committed records). */
  partitions: Array<{ partition: number; read: number; end: number; behind: number }>;
  behind: number;
  /** Facts applied and records skipped (unreadable) by this run. */
  applied: number;
  unreadable: number;
  /** On Kafka, the dead-letter topic read too: dead letters the cache did not hold and keeps now (null: not read). */
  dead_letters: { topic: string; kept: number } | null;
}

export interface CachePorts {
  transport: KnowledgeTransport;
  store: Store;
  deploymentName?: string;
  now: () => number;
  warn: (text: string) => void;
}

export function knowledgeTopicOf(deploymentName?: string): string {
  return topicName(KNOWLEDGE_BASE_TOPIC, deploymentName);
}

async function freshness(ports: CachePorts, topic: string, sync: KnowledgeSync, deadLetters?: DeadLetterSync): Promise<Freshness> {
  // Past transaction markers too: kept, so that the next sync reports from there.
  const at = new Date(ports.now()).toISOString();
  ports.store.transaction(() => {
    for (const [partition, nextOffset] of sync.positions())
      ports.store.setChangelogPosition(topic, { partition, nextOffset, lastRecordAt: null }, at);
  });
  const counts = sync.counts();
  const ends = await ports.transport.endOffsets(topic);
  const read = new Map(ports.store.changelogPositions(topic).map((p) => [p.partition, p]));
  const partitions = [...ends]
    .sort(([a], [b]) => a - b)
    .map(([partition, end]) => {
      const at = Math.min(read.get(partition)?.nextOffset ?? 0, end);
      return { partition, read: at, end, behind: Math.max(0, end - at) };
    });
  const lastRecord = [...read.values()].map((p) => p.lastRecordAt).filter((t): t is string => t !== null);
  return {
    topic,
    facts: ports.store.factCount(),
    newest_fact_at: ports.store.newestFactAt(),
    last_record_at: lastRecord.length ? lastRecord.sort().at(-1)! : null,
    partitions,
    behind: partitions.reduce((sum, p) => sum + p.behind, 0),
    ...counts,
    dead_letters: deadLetters ? { topic: deadLetters.topic, kept: deadLetters.sync.counts().applied } : null,
  };
}

interface DeadLetterSync {
  topic: string;
  sync: KnowledgeSync;
}

/** On Kafka, a reader of the deployment's dead-letter topic into the cache's dead letters; none where it is not there. */
async function deadLetterReader(ports: CachePorts): Promise<DeadLetterSync | undefined> {
  if (ports.transport.kind !== 'kafka') return undefined;
  const topic = topicName(DEAD_LETTER_BASE_TOPIC, ports.deploymentName);
  if (!(await ports.transport.topicExists(topic))) return undefined;
  return {
    topic,
    sync: deadLetterSync({
      transport: ports.transport,
      topic,
      store: ports.store,
      origin: ports.transport.address,
      now: ports.now,
      warn: ports.warn,
    }),
  };
}

/**
 * Reads the knowledge topic into the cache up to its end as it is now; with
 * `follow`, on until the signal, calling `onCaughtUp` each time it has read
 * everything there was.
 */
export async function syncCache(
  ports: CachePorts,
  options: { follow: boolean; signal: AbortSignal; onCaughtUp?: (fresh: Freshness) => void; everyMs?: number },
): Promise<Freshness> {
  const topic = knowledgeTopicOf(ports.deploymentName);
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  const sync = knowledgeSync({ transport: ports.transport, topic, store: ports.store, now: ports.now, warn: ports.warn });
  const deadLetters = await deadLetterReader(ports);
  const following = Promise.all([sync.start(signal), deadLetters?.sync.start(signal)]);
  following.catch(() => undefined);
  const catchUp = () => Promise.race([Promise.all([sync.catchUp(signal), deadLetters?.sync.catchUp(signal)]), following]);
  try {
    await catchUp();
    options.onCaughtUp?.(await freshness(ports, topic, sync, deadLetters));
    while (options.follow && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.everyMs ?? 5_000);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      if (signal.aborted) break;
      await catchUp();
      options.onCaughtUp?.(await freshness(ports, topic, sync, deadLetters));
    }
  } catch (error) {
    // Stopped while reading: the freshness below says how far it got.
    if (!options.signal.aborted) throw error;
  } finally {
    stop.abort();
    await following.catch(() => undefined);
  }
  return freshness(ports, topic, sync, deadLetters);
}

export interface Rebuilt {
  topic: string;
  created: boolean;
  facts: number;
}

/** Writes every fact of the cache to the knowledge topic, creating it compacted when missing. */
export async function rebuildTopic(ports: CachePorts): Promise<Rebuilt> {
  const topic = knowledgeTopicOf(ports.deploymentName);
  const created = await ports.transport.ensureCompactedTopic(topic, { partitions: REBUILD_PARTITIONS, warn: ports.warn });
  let facts = 0;
  // A page at a time: the cache is not held open while the broker answers.
  for (let after: string | null = null; ;) {
    const page = ports.store.factRecords(after, REBUILD_CHUNK);
    if (page.length === 0) break;
    await ports.transport.send(page.map((fact) => ({ topic, key: fact.key, headers: {}, value: fact.value })));
    facts += page.length;
    after = page[page.length - 1].key;
  }
  return { topic, created, facts };
}
