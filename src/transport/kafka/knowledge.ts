/**
 * The KnowledgeTransport on kafkajs (src/transport/knowledge-port.ts): the
 * compacted knowledge topic (created with cleanup.policy=compact, checked
 * when it exists), read_committed end offsets, the changelog reader
 * (changelog.ts) and exactly-once consumption (exactly-once.ts). It opens a
 * kafkajs client of its own from the same settings as the Broker port's, so
 * neither needs the other's internals.
 */
import { Partitioners, type Admin, type ConfigResourceTypes, type Kafka, type Producer } from 'kafkajs';
import { UserError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { KafkaSettings } from '../../config/kafka.js';
import type { KnowledgeTransport } from '../knowledge-port.js';
import type { OutgoingRecord, RecordPosition } from '../port.js';
import { followChangelog } from './changelog.js';
import { kafkaClient } from './client.js';
import type { KafkaHandles } from './consume.js';
import { describeKafkaFailure, retryWhileSettling } from './errors.js';
import { consumeExactlyOnce } from './exactly-once.js';

const RETRY = { retries: 4, initialRetryTime: 300, maxRetryTime: 2_000 } as const;
/** ConfigResourceTypes.TOPIC: kafkajs exports the enum only from CommonJS, which an ES module cannot name. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

function errorTypes(error: unknown): string[] {
  const types: string[] = [];
  for (let e = error as { type?: string; errors?: unknown[]; cause?: unknown } | undefined, i = 0; e && i < 10; i++) {
    if (typeof e.type === 'string') types.push(e.type);
    for (const inner of e.errors ?? [])
      if (typeof (inner as { type?: string }).type === 'string') types.push((inner as { type: string }).type);
    e = e.cause as typeof e;
  }
  return types;
}

export async function openKafkaKnowledge(settings: KafkaSettings, log: Logger): Promise<KnowledgeTransport> {
  const kafka: Kafka = kafkaClient(settings, log);
  const admin: Admin = kafka.admin({ retry: RETRY });
  try {
    await admin.connect();
  } catch (error) {
    throw describeKafkaFailure(settings, error, 'connecting');
  }
  const handles: KafkaHandles = { kafka, admin, settings, log, retry: RETRY };
  let producer: Promise<Producer> | undefined;
  const running = new Set<{ stop(): Promise<void> }>();
  const partitionCounts = new Map<string, number>();
  const partitioner = Partitioners.DefaultPartitioner();

  const partitionsOf = async (topic: string): Promise<number> => {
    const known = partitionCounts.get(topic);
    if (known !== undefined) return known;
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics[0]?.partitions.length ?? 1;
    partitionCounts.set(topic, count);
    return count;
  };

  const transport: KnowledgeTransport = {
    kind: 'kafka',
    address: settings.address,

    async topicExists(topic) {
      try {
        return (await admin.listTopics()).includes(topic);
      } catch (error) {
        throw describeKafkaFailure(settings, error, 'listing topics');
      }
    },

    async ensureCompactedTopic(topic, { partitions, warn }) {
      let created = false;
      if (!(await transport.topicExists(topic))) {
        try {
          const brokers = (await admin.describeCluster()).brokers.length;
          // A broker just started (or electing leaders) answers the new topic's metadata late: asked again, it has it.
          let attempts = 0;
          const create = () =>
            admin.createTopics({
              waitForLeaders: true,
              topics: [
                {
                  topic,
                  numPartitions: partitions,
                  replicationFactor: Math.min(3, brokers),
                  configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
                },
              ],
            });
          created = await retryWhileSettling(async () => {
            attempts++;
            try {
              return await create();
            } catch (error) {
              // Asked again after an attempt that created it but timed out waiting for its leaders: it is ours.
              if (attempts > 1 && errorTypes(error).includes('TOPIC_ALREADY_EXISTS')) return true;
              throw error;
            }
          }, new AbortController().signal);
        } catch (error) {
          const types = errorTypes(error);
          if (types.some((t) => t.endsWith('_AUTHORIZATION_FAILED')))
            throw new UserError(
              `Kafka at ${settings.address} refused to create the knowledge topic ${topic} (${types.find((t) => t.endsWith('_AUTHORIZATION_FAILED'))})`,
              `grant this principal the ACL CREATE on Topic:${topic} (or on the Cluster), or create it yourself: ${topic} with cleanup.policy=compact`,
            );
          if (!types.includes('TOPIC_ALREADY_EXISTS')) throw describeKafkaFailure(settings, error, `creating ${topic}`);
        }
        await retryWhileSettling(() => admin.fetchTopicOffsets(topic), new AbortController().signal).catch((error: unknown) => {
          throw describeKafkaFailure(settings, error, `reading ${topic}`);
        });
        if (created) return true;
      }
      try {
        const { resources } = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['cleanup.policy'] }],
        });
        const policy = resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
        if (policy !== undefined && policy !== 'compact')
          warn(
            `the knowledge topic ${topic} has cleanup.policy=${policy}, not compact: ${policy.includes('delete') ? 'retention will delete facts that a replica starting with an empty cache needs' : 'facts are never compacted'}; set cleanup.policy=compact on it`,
          );
      } catch (error) {
        warn(
          `could not read the configuration of the knowledge topic ${topic} (${errorTypes(error)[0] ?? (error instanceof Error ? error.message : String(error))}); make sure it has cleanup.policy=compact (the check needs the ACL DESCRIBE_CONFIGS on Topic:${topic})`,
        );
      }
      return created;
    },

    async endOffsets(topic) {
      try {
        const offsets = await retryWhileSettling(() => admin.fetchTopicOffsets(topic), new AbortController().signal);
        return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
      } catch (error) {
        throw describeKafkaFailure(settings, error, `reading the end offsets of ${topic}`);
      }
    },

    follow: (options) => followChangelog(handles, options),

    consumeExactlyOnce(options, handler, onAssigned) {
      const consumption = consumeExactlyOnce(handles, options, handler, onAssigned);
      running.add(consumption);
      const forget = () => running.delete(consumption);
      consumption.done.then(forget, forget);
      return consumption;
    },

    async partitionOf(topic, key) {
      const count = await partitionsOf(topic);
      const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
        offlineReplicas: [],
      }));
      return partitioner({ topic, partitionMetadata, message: { key, value: null } });
    },

    async send(records: OutgoingRecord[]): Promise<RecordPosition[]> {
      if (records.length === 0) return [];
      producer ??= (async () => {
        const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true, retry: RETRY });
        await p.connect();
        return p;
      })();
      try {
        const p = await producer;
        const byTopic = new Map<string, OutgoingRecord[]>();
        for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
        const results = await p.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, list]) => ({
            topic,
            messages: list.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
          })),
        });
        return results.map((r) => ({ topic: r.topicName, partition: r.partition, offset: Number(r.baseOffset) }));
      } catch (error) {
        producer = undefined;
        throw describeKafkaFailure(settings, error, `sending to ${[...new Set(records.map((r) => r.topic))].join(', ')}`);
      }
    },

    async close() {
      await Promise.all([...running].map((c) => c.stop()));
      if (producer) await (await producer.catch(() => undefined))?.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    },
  };
  return transport;
}
