/**
 * The Kafka transport: the Broker port on kafkajs. kafkajs is imported only
 * in this folder (the adapter); src/transport/open-broker.ts loads it
 * lazily, so commands that never touch Kafka never pay for it.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import kafkajs, { Kafka, Partitioners, logLevel, type Admin, type LogEntry, type Message, type Producer, type SASLOptions } from 'kafkajs';
import { UserError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { firstFew } from '../../core/list.js';
import {
  noSuchPartition,
  type Broker,
  type BrokerClockOptions,
  type BrokerClockReading,
  type ClusterInfo,
  type Consumption,
  type ConsumeOptions,
  type GroupAdmin,
  type GroupPartitionLag,
  type OutgoingRecord,
  type RecordHandler,
  type RecordPosition,
  type TopicInfo,
} from '../port.js';
import type { KafkaSettings } from '../../config/kafka.js';
import { CODEC_TYPES, registerCodecs } from './codecs.js';
import { consumeFromKafka } from './consume.js';
import { kafkaGroups } from './groups.js';
import {
  BrokerRefusal,
  describeKafkaFailure,
  hasKafkaErrorType,
  isRetriableKafkaFailure,
  isUnanswered,
  noAnswer,
  retryWhileSettling,
  unreachable,
} from './errors.js';

/** Fail fast on an unreachable broker: 5 connection attempts of at most 2 s with short backoff, about 11.5 s worst case. */
const CONNECTION_TIMEOUT_MS = 2_000;
/**
 * First backoff 100 ms, librdkafka's retry.backoff.ms (kafkajs' own is 300 ms): the commonest retry
 * is a topic the broker is still creating on the first send to it (LEADER_NOT_AVAILABLE for a few
 * milliseconds), which held every replay to a new topic some 300 ms.
 */
const RETRY = { retries: 4, initialRetryTime: 100, maxRetryTime: 2_000 } as const;
/**
 * Longest wait for the first connection. A server that accepts connections but never answers
 * (a wrong port, a hung broker) would hold it for kafkajs' whole request timeout (30 s) and then
 * pass as connected with no broker behind it; a broker that answers does so in milliseconds.
 */
const CONNECT_DEADLINE_MS = 10_000;
/**
 * Records per produce request, at most. kafkajs from node_modules groups messages per partition
 * with a copy per message, so huge calls cost quadratic time there; the build's copy appends
 * (scripts/bundle.mjs).
 */
const SEND_CHUNK = 5_000;
/**
 * Bytes of keys, values and headers per produce request, at most: a partition's records of one
 * request are one record batch, which the broker refuses whole above its message.max.bytes
 * (1 MiB by default, the topic's max.message.bytes may be lower). Half of that, as librdkafka's
 * batch.size (1,000,000) stays under it.
 */
const SEND_CHUNK_BYTES = 512 * 1024;

/** [start, end) of each produce request's share of `messages`: SEND_CHUNK records and SEND_CHUNK_BYTES at most (one record at least). */
export function sendChunks(messages: readonly Message[]): Array<[number, number]> {
  const chunks: Array<[number, number]> = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < messages.length; i++) {
    const { key, value, headers } = messages[i];
    let size = 24 + (key == null ? 0 : Buffer.byteLength(key)) + (value == null ? 0 : Buffer.byteLength(value));
    for (const name in headers) size += Buffer.byteLength(name) + Buffer.byteLength(String(headers[name] ?? '')) + 4;
    if (i > start && (i - start >= SEND_CHUNK || bytes + size > SEND_CHUNK_BYTES)) {
      chunks.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < messages.length) chunks.push([start, messages.length]);
  return chunks;
}

function kafkajsLogs(log: Logger) {
  const names: Record<number, string> = {
    [logLevel.ERROR]: 'error',
    [logLevel.WARN]: 'warn',
    [logLevel.INFO]: 'info',
    [logLevel.DEBUG]: 'debug',
  };
  // kafkajs logs retries and their stack traces at ERROR; they belong in --verbose output, never on stdout.
  return () =>
    ({ namespace, level, log: entry }: LogEntry) =>
      log.debug(`kafkajs ${names[level] ?? level} [${namespace}] ${entry.message}${entry.error ? `: ${String(entry.error)}` : ''}`);
}

/** The client's retry policy: thoth's default, with --kafka-option retries / retry.backoff.ms on top. */
export function retryOf(settings: KafkaSettings) {
  const c = settings.client ?? {};
  return {
    retries: c.retries ?? RETRY.retries,
    initialRetryTime: c.retryBackoffMs ?? RETRY.initialRetryTime,
    maxRetryTime: c.retryBackoffMaxMs ?? Math.max(RETRY.maxRetryTime, c.retryBackoffMs ?? 0),
  };
}

export function kafkaClient(settings: KafkaSettings, log: Logger): Kafka {
  registerCodecs();
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl,
    // Our mechanism names are kafkajs' ('plain', 'scram-sha-256', 'scram-sha-512'); its union type cannot see that.
    sasl: settings.sasl as SASLOptions | undefined,
    connectionTimeout: settings.client?.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
    authenticationTimeout: 10_000,
    requestTimeout: settings.client?.requestTimeoutMs ?? 30_000,
    retry: retryOf(settings),
    logLevel: logLevel.ERROR,
    logCreator: kafkajsLogs(log),
  });
}

/**
 * Opens the client key before any connection: a wrong KAFKA_SSL_KEY_PASSWORD or a key of another
 * certificate otherwise surfaces from inside the TLS handshake, retried and reported as an unreachable broker.
 */
function checkClientKey(settings: KafkaSettings): void {
  const ssl = settings.ssl;
  if (ssl === undefined || ssl === true || ssl.key === undefined || ssl.cert === undefined) return;
  const where = `KAFKA_SSL_KEY_LOCATION ("${settings.files?.key ?? ''}")`;
  let key: KeyObject;
  try {
    key = createPrivateKey(
      ssl.passphrase === undefined ? { key: ssl.key, format: 'pem' } : { key: ssl.key, format: 'pem', passphrase: ssl.passphrase },
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(ssl.key);
    if (encrypted && ssl.passphrase === undefined) {
      throw new UserError(`${where} holds an encrypted private key`, 'set KAFKA_SSL_KEY_PASSWORD to its passphrase');
    }
    if (encrypted) throw new UserError(`${where}: KAFKA_SSL_KEY_PASSWORD does not decrypt the private key`, 'check KAFKA_SSL_KEY_PASSWORD');
    throw new UserError(
      `${where} is not a PEM private key (${code ?? 'unreadable'})`,
      'point KAFKA_SSL_KEY_LOCATION at the PEM key of KAFKA_SSL_CERTIFICATE_LOCATION',
    );
  }
  let matches: boolean;
  try {
    matches = new X509Certificate(ssl.cert).checkPrivateKey(key);
  } catch {
    throw new UserError(
      `KAFKA_SSL_CERTIFICATE_LOCATION ("${settings.files?.cert ?? ''}") is not a PEM certificate`,
      'point it at the client certificate (PEM)',
    );
  }
  if (!matches) {
    throw new UserError(
      `${where} is not the key of the certificate in KAFKA_SSL_CERTIFICATE_LOCATION`,
      'point both at the same client certificate and key',
    );
  }
}

/** Connects (admin client first, so an unreachable broker is reported before any command runs) and returns the Broker. */
export async function openKafka(settings: KafkaSettings, log: Logger): Promise<Broker> {
  checkClientKey(settings);
  const kafka = kafkaClient(settings, log);
  const admin = kafka.admin({ retry: retryOf(settings) });
  const began = Date.now();
  const connecting = admin.connect();
  connecting.catch(() => {}); // past the deadline its outcome no longer matters
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'silent'>((resolve) => (timer = setTimeout(() => resolve('silent'), CONNECT_DEADLINE_MS)));
  try {
    if ((await Promise.race([connecting, deadline])) === 'silent') {
      // Disconnecting would wait for the unanswered request, so it is not awaited.
      admin.disconnect().catch(() => {});
      throw noAnswer(settings, Date.now() - began);
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    await admin.disconnect().catch(() => {});
    throw isUnanswered(error) ? noAnswer(settings, Date.now() - began) : unreachable(settings, error, Date.now() - began);
  } finally {
    clearTimeout(timer);
  }
  return new KafkaBroker(kafka, admin, settings, log);
}

/**
 * Pins the partition the default partitioner chose onto the message, so the caller can match offsets
 * to records. A topic of one partition is partition 0 whatever the key, which is what the default
 * partitioner answers too, after hashing the key (murmur2, in 32-bit arithmetic in the build: scripts/bundle.mjs).
 * A partition given with the record (publish --partition, replay --keep-partitions) stands if the topic has it.
 */
function recordingPartitioner() {
  const choose = Partitioners.DefaultPartitioner();
  return (args: Parameters<typeof choose>[0]) => {
    const given = args.message.partition;
    if (given !== undefined && given !== null && !args.partitionMetadata.some((p) => p.partitionId === given)) {
      const refusal = noSuchPartition(
        args.topic,
        args.partitionMetadata.map((p) => p.partitionId),
        [given],
      );
      // Not worth a retry: kafkajs gives it up at once, and describeKafkaFailure tells it as it is.
      throw Object.assign(refusal, { retriable: false });
    }
    const partition = given === undefined || given === null ? (args.partitionMetadata.length === 1 ? 0 : choose(args)) : given;
    args.message.partition = partition;
    return partition;
  };
}

/**
 * A busy broker may answer the metadata kafkajs asks for right after creating topics with UNKNOWN_TOPIC_OR_PARTITION
 * (kafkajs waits only while it says LEADER_NOT_AVAILABLE): the topics exist, its metadata has not caught up. Waits
 * until every one has a leader for each partition, up to `waitMs`; then the failure stands.
 */
export async function untilTopicsShown(
  admin: Pick<Admin, 'fetchTopicMetadata'>,
  topics: string[],
  failure: unknown,
  waitMs = 15_000,
): Promise<void> {
  await retryWhileSettling(
    async () => {
      const shown = await admin.fetchTopicMetadata({ topics });
      if (!shown.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) throw failure;
    },
    new AbortController().signal,
    waitMs,
  ).catch((error: unknown) => {
    throw isRetriableKafkaFailure(error) ? failure : error;
  });
}

/**
 * Creates the topics and waits until every partition of each has a leader: kafkajs' `waitForLeaders`, and past its
 * UNKNOWN_TOPIC_OR_PARTITION, untilTopicsShown. Any other failure is thrown as `refused` makes it.
 */
export async function createTopicsWithLeaders(
  admin: Pick<Admin, 'createTopics' | 'fetchTopicMetadata'>,
  topics: kafkajs.ITopicConfig[],
  refused: (error: unknown) => unknown = (error) => error,
): Promise<void> {
  try {
    await admin.createTopics({ waitForLeaders: true, topics });
  } catch (error) {
    if (!hasKafkaErrorType(error, 'UNKNOWN_TOPIC_OR_PARTITION')) throw refused(error);
    await untilTopicsShown(
      admin,
      topics.map((t) => t.topic),
      error,
    );
  }
}

class KafkaBroker implements Broker {
  readonly kind = 'kafka' as const;
  readonly address: string;
  readonly groups: GroupAdmin;
  private producer: Promise<Producer> | undefined;
  private readonly running = new Set<Consumption & { stop(): Promise<void> }>();

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly settings: KafkaSettings,
    private readonly log: Logger,
  ) {
    this.address = settings.address;
    this.groups = kafkaGroups(admin, settings);
  }

  private connectedProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const client = this.settings.client ?? {};
      const producer = this.kafka.producer({
        // Idempotent unless asked otherwise: a retried batch is written once, across the broker's restarts too.
        idempotent: client.idempotent ?? true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: client.allowAutoTopicCreation ?? true,
        createPartitioner: recordingPartitioner,
        retry: retryOf(this.settings),
        ...(client.metadataMaxAgeMs !== undefined ? { metadataMaxAge: client.metadataMaxAgeMs } : {}),
      });
      await producer.connect();
      return producer;
    })();
    return this.producer;
  }

  private toMessage(record: OutgoingRecord): Message {
    const max = this.settings.messageMaxBytes;
    // Bytes that are not UTF-8 travel as they were received.
    const value = record.raw?.value ? Buffer.from(record.raw.value) : record.value;
    const key = record.raw?.key ? Buffer.from(record.raw.key) : record.key;
    if (max !== undefined && value !== null && Buffer.byteLength(value) > max) {
      throw new UserError(
        `a message for ${record.topic} is ${Buffer.byteLength(value)} bytes, over KAFKA_MESSAGE_MAX_BYTES (${max})`,
        "raise KAFKA_MESSAGE_MAX_BYTES (and the topic's max.message.bytes) or send a smaller message",
      );
    }
    return {
      key,
      value,
      headers: record.headers,
      timestamp: record.timestamp === undefined ? undefined : String(record.timestamp),
      ...(record.partition === undefined ? {} : { partition: record.partition }),
    };
  }

  async send(records: OutgoingRecord[]): Promise<RecordPosition[]> {
    if (records.length === 0) return [];
    const messages = records.map((r) => this.toMessage(r));
    let producer: Producer;
    try {
      producer = await this.connectedProducer();
    } catch (error) {
      throw describeKafkaFailure(this.settings, error, 'connecting the producer');
    }
    const positions: RecordPosition[] = [];
    for (const [start, end] of sendChunks(messages)) {
      const chunk = records.slice(start, end);
      const chunkMessages = messages.slice(start, end);
      const byTopic = new Map<string, Message[]>();
      chunk.forEach((record, i) => {
        const list = byTopic.get(record.topic) ?? [];
        list.push(chunkMessages[i]);
        byTopic.set(record.topic, list);
      });
      let results;
      try {
        results = await producer.sendBatch({
          // An idempotent producer must wait for every in-sync replica.
          acks: this.settings.client?.idempotent === false ? (this.settings.client.acks ?? -1) : -1,
          compression: CODEC_TYPES[this.settings.client?.compression ?? 'none'],
          topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
        });
      } catch (error) {
        const failure = describeKafkaFailure(this.settings, error, `sending to ${[...byTopic.keys()].join(', ')}`);
        // kafkajs keeps asking for a refused topic's metadata on every later send: start a fresh producer.
        if (failure instanceof BrokerRefusal && failure.topicScoped) await this.dropProducer();
        throw failure;
      }
      // Within one request each partition's records are appended in order from the partition's base offset.
      const next = new Map(results.map((r) => [`${r.topicName}\u0000${r.partition}`, Number(r.baseOffset)]));
      chunk.forEach((record, i) => {
        const partition = chunkMessages[i].partition!;
        const slot = `${record.topic}\u0000${partition}`;
        const offset = next.get(slot) ?? -1;
        next.set(slot, offset + 1);
        positions.push({ topic: record.topic, partition, offset });
      });
    }
    return positions;
  }

  private async dropProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await (await producer?.catch(() => undefined))?.disconnect().catch(() => {});
  }

  consume(options: ConsumeOptions, handler: RecordHandler): Consumption {
    const consumption = consumeFromKafka(
      { kafka: this.kafka, admin: this.admin, settings: this.settings, log: this.log, retry: retryOf(this.settings) },
      options,
      handler,
    );
    this.running.add(consumption);
    const forget = () => this.running.delete(consumption);
    consumption.done.then(forget, forget);
    return consumption;
  }

  /** Every topic with what `kcat -L` shows (partitions, leaders, replicas, in-sync replicas), offsets and its own settings. */
  async topics(only?: readonly string[]): Promise<TopicInfo[]> {
    try {
      const wanted = only ? new Set(only) : undefined;
      const names = (await this.admin.listTopics()).filter((name) => !name.startsWith('__') && (wanted?.has(name) ?? true)).sort();
      if (names.length === 0) return [];
      const { topics } = await this.admin.fetchTopicMetadata({ topics: names });
      const metadata = new Map(topics.map((t) => [t.name, t.partitions]));
      const configs = await this.topicConfigs(names);
      return await Promise.all(
        names.map(async (name) => {
          const offsets = new Map((await this.admin.fetchTopicOffsets(name)).map((o) => [o.partition, o]));
          const partitionDetails = (metadata.get(name) ?? [])
            .map((p) => ({
              partition: p.partitionId,
              leader: p.leader >= 0 ? p.leader : null,
              replicas: p.replicas,
              isr: p.isr,
              low: Number(offsets.get(p.partitionId)?.low ?? 0),
              high: Number(offsets.get(p.partitionId)?.high ?? 0),
            }))
            .sort((a, b) => a.partition - b.partition);
          const messages = partitionDetails.reduce((sum, p) => sum + p.high, 0);
          return { name, partitions: partitionDetails.length, messages, partitionDetails, config: configs.get(name) ?? {} };
        }),
      );
    } catch (error) {
      throw describeKafkaFailure(this.settings, error, 'listing topics');
    }
  }

  async groupLag(group: string, topics: string[]): Promise<GroupPartitionLag[]> {
    try {
      const known = new Set(await this.admin.listTopics());
      const existing = topics.filter((t) => known.has(t));
      if (existing.length === 0) return [];
      const committed = new Map<string, number>();
      for (const { topic, partitions } of await this.admin.fetchOffsets({ groupId: group, topics: existing }))
        for (const { partition, offset } of partitions)
          if (Number(offset) >= 0) committed.set(`${topic}\u0000${partition}`, Number(offset));
      const out: GroupPartitionLag[] = [];
      for (const topic of existing) {
        for (const { partition, low, high } of await this.admin.fetchTopicOffsets(topic)) {
          const at = committed.get(`${topic}\u0000${partition}`) ?? null;
          out.push({ topic, partition, committed: at, end: Number(high), lag: Number(high) - (at ?? Number(low)) });
        }
      }
      return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    } catch (error) {
      throw describeKafkaFailure(this.settings, error, `reading the offsets of group ${group}`);
    }
  }

  async cluster(): Promise<ClusterInfo> {
    try {
      const { clusterId, controller, brokers } = await this.admin.describeCluster();
      const { brokerApiVersions, releaseOf } = await import('./release.js');
      const release = await brokerApiVersions(this.settings).then(releaseOf, () => undefined);
      return {
        ...(release === undefined ? {} : { release }),
        clusterId,
        controller: controller ?? null,
        brokers: brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port })).sort((a, b) => a.id - b.id),
      };
    } catch (error) {
      throw describeKafkaFailure(this.settings, error, 'describing the cluster');
    }
  }

  async clock(options: BrokerClockOptions): Promise<BrokerClockReading> {
    const { brokerClock } = await import('./broker-clock.js');
    return brokerClock(this.settings, options);
  }

  /** Each topic's settings that are not the broker's defaults (DescribeConfigs). */
  private async topicConfigs(names: string[]): Promise<Map<string, Record<string, string>>> {
    const { resources } = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name })),
    });
    return new Map(
      resources.map((r) => [
        r.resourceName,
        Object.fromEntries(
          r.configEntries
            .filter((e) => !e.isDefault && !e.isSensitive && e.configValue !== null)
            .map((e) => [e.configName, e.configValue] as const)
            .sort(([a], [b]) => a.localeCompare(b)),
        ),
      ]),
    );
  }

  async createTopics(names: string[], options: { partitions?: number; replicationFactor?: number } = {}): Promise<string[]> {
    try {
      const existing = new Set(await this.admin.listTopics());
      const missing = [...new Set(names)].filter((name) => !existing.has(name));
      if (options.partitions !== undefined)
        await this.noticeFewerPartitions(
          names.filter((name) => existing.has(name)),
          options.partitions,
        );
      if (missing.length === 0) return [];
      // kafkajs speaks CreateTopics v3, which cannot ask for the broker's defaults (-1), so name them.
      const brokers = (await this.admin.describeCluster()).brokers.length;
      const replicationFactor = options.replicationFactor ?? Math.min(3, brokers);
      await createTopicsWithLeaders(
        this.admin,
        missing.map((topic) => ({
          topic,
          numPartitions: options.partitions ?? 1,
          replicationFactor,
          // upstream's KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE / _LEVEL, as its create_all_topics sets them.
          configEntries: Object.entries(this.settings.topicConfig ?? {}).map(([name, value]) => ({ name, value })),
        })),
        (error) => creationRefused(error, missing.length, replicationFactor, brokers) ?? error,
      );
      return missing;
    } catch (error) {
      throw describeKafkaFailure(this.settings, error, `creating topics ${firstFew(names)}`);
    }
  }

  /** Existing topics keep their partitions: say so rather than ignore --partitions silently. */
  private async noticeFewerPartitions(existing: string[], wanted: number): Promise<void> {
    if (existing.length === 0) return;
    const { topics } = await this.admin.fetchTopicMetadata({ topics: existing });
    const fewer = topics.filter((t) => t.partitions.length < wanted);
    if (fewer.length === 0) return;
    const which = fewer.length > 3 ? `${fewer.length} topics` : fewer.map((t) => t.name).join(', ');
    this.log.notice(
      `${which} already exist${fewer.length === 1 ? 's' : ''} with fewer than ${wanted} partitions; existing topics are left as they are`,
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.running].map((c) => c.stop()));
    if (this.producer) await (await this.producer.catch(() => undefined))?.disconnect().catch(() => {});
    await this.admin.disconnect().catch(() => {});
  }
}

/**
 * kafkajs reports a refused CreateTopics as one error per topic and drops the broker's
 * explanation; give the reason once, in words, for all of them.
 */
function creationRefused(error: unknown, count: number, replicationFactor: number, brokers: number): UserError | undefined {
  const perTopic = (error as { name?: string; errors?: Array<{ type?: string; message?: string }> }).errors;
  if ((error as Error).name !== 'KafkaJSAggregateError' || !Array.isArray(perTopic)) return undefined;
  const reasons = [
    ...new Set(
      perTopic.map((e) =>
        e.type === 'INVALID_REPLICATION_FACTOR'
          ? `replication factor ${replicationFactor} is larger than the ${brokers} available broker${brokers === 1 ? '' : 's'}`
          : (e.message ?? e.type ?? 'refused'),
      ),
    ),
  ];
  return new UserError(
    `the broker refused to create ${count} topic${count === 1 ? '' : 's'}: ${reasons.join('; ')}`,
    'check --partitions and --replication-factor against the cluster',
  );
}
