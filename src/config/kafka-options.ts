/**
 * kcat's `-X key=value` for thoth: `--kafka-option` takes librdkafka property
 * names, maps the ones kafkajs has an equivalent for, and refuses the others by
 * name (kafkajs has no linger.ms, batch.size, ...), so that a kcat user's
 * habit never changes nothing silently. Properties that are also thoth-messaging
 * variables (security, SASL, TLS, group, offset reset, message size) are read
 * as those variables, so flag and environment share one parser.
 *
 * Values may be secrets (sasl.password, ssl.key.password): errors name the
 * property, never the value.
 */
import { UsageError } from '../core/errors.js';

/** Kafka's codec names (`compression.type`); `none` sends batches uncompressed. */
export const COMPRESSION_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSION_CODECS)[number];

/**
 * How long a fetch waits at the broker for records when there are none, unless fetch.wait.max.ms says otherwise:
 * librdkafka's default (kcat, confluent-kafka). A reader that stops waits for the fetch it has out (kafkajs answers
 * it before it disconnects): at 1 s, an investigator stopped a second after its last record.
 */
export const FETCH_WAIT_MAX_MS = 500;

/** max.partition.fetch.bytes when not set: Kafka's default, 1 MiB. */
export const PARTITION_FETCH_BYTES = 1_048_576;

/**
 * The bytes a fetch may bring of one partition: max.partition.fetch.bytes, else Kafka's default or the largest
 * message the deployment allows, whichever is more (a record larger than the fetch would not be read in one).
 */
export function partitionFetchBytes(settings: { client?: KafkaClientOptions; messageMaxBytes?: number }): number {
  return settings.client?.maxPartitionFetchBytes ?? Math.max(PARTITION_FETCH_BYTES, settings.messageMaxBytes ?? 0);
}

/** The client properties kafkajs has, as thoth hands them to the Kafka adapter. */
export interface KafkaClientOptions {
  /** Producer codec (compression.codec, compression.type). */
  compression?: Compression;
  /** acks / request.required.acks: -1 (all), 0 or 1. */
  acks?: -1 | 0 | 1;
  /** enable.idempotence. */
  idempotent?: boolean;
  /** request.timeout.ms. */
  requestTimeoutMs?: number;
  /** socket.connection.setup.timeout.ms. */
  connectionTimeoutMs?: number;
  /** retries / message.send.max.retries. */
  retries?: number;
  /** retry.backoff.ms. */
  retryBackoffMs?: number;
  /** retry.backoff.max.ms. */
  retryBackoffMaxMs?: number;
  /** metadata.max.age.ms. */
  metadataMaxAgeMs?: number;
  /** allow.auto.create.topics (producer and consumer). */
  allowAutoTopicCreation?: boolean;
  /** fetch.wait.max.ms (FETCH_WAIT_MAX_MS when not set). */
  fetchWaitMaxMs?: number;
  /** fetch.min.bytes. */
  fetchMinBytes?: number;
  /** fetch.max.bytes. */
  fetchMaxBytes?: number;
  /** max.partition.fetch.bytes. */
  maxPartitionFetchBytes?: number;
  /** session.timeout.ms. */
  sessionTimeoutMs?: number;
  /** heartbeat.interval.ms. */
  heartbeatIntervalMs?: number;
}

type Setter = (value: string, options: KafkaClientOptions, property: string) => void;

function whole(property: string, value: string, min = 0): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--kafka-option ${property} must be a whole number${min > 0 ? ` of at least ${min}` : ''}`);
  }
  return n;
}

function flag(property: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new UsageError(`--kafka-option ${property} must be true or false`);
}

function codec(property: string, value: string): Compression {
  const v = value.trim().toLowerCase();
  const found = COMPRESSION_CODECS.find((c) => c === v);
  if (!found) throw new UsageError(`--kafka-option ${property} must be one of ${COMPRESSION_CODECS.join(', ')}`);
  return found;
}

function acks(property: string, value: string): -1 | 0 | 1 {
  const v = value.trim().toLowerCase();
  if (v === 'all' || v === '-1') return -1;
  if (v === '0') return 0;
  if (v === '1') return 1;
  throw new UsageError(`--kafka-option ${property} must be all, -1, 0 or 1`);
}

const number =
  (field: keyof KafkaClientOptions, min = 0): Setter =>
  (value, options, property) =>
    void ((options as Record<string, unknown>)[field] = whole(property, value, min));

const CLIENT_PROPERTIES: Record<string, Setter> = {
  'compression.codec': (v, o, p) => void (o.compression = codec(p, v)),
  'compression.type': (v, o, p) => void (o.compression = codec(p, v)),
  acks: (v, o, p) => void (o.acks = acks(p, v)),
  'request.required.acks': (v, o, p) => void (o.acks = acks(p, v)),
  'enable.idempotence': (v, o, p) => void (o.idempotent = flag(p, v)),
  'request.timeout.ms': number('requestTimeoutMs', 1),
  'socket.connection.setup.timeout.ms': number('connectionTimeoutMs', 1),
  retries: number('retries'),
  'message.send.max.retries': number('retries'),
  'retry.backoff.ms': number('retryBackoffMs', 1),
  'retry.backoff.max.ms': number('retryBackoffMaxMs', 1),
  'metadata.max.age.ms': number('metadataMaxAgeMs', 1),
  'allow.auto.create.topics': (v, o, p) => void (o.allowAutoTopicCreation = flag(p, v)),
  'fetch.wait.max.ms': number('fetchWaitMaxMs', 1),
  'fetch.min.bytes': number('fetchMinBytes', 1),
  'fetch.max.bytes': number('fetchMaxBytes', 1),
  'max.partition.fetch.bytes': number('maxPartitionFetchBytes', 1),
  'session.timeout.ms': number('sessionTimeoutMs', 1),
  'heartbeat.interval.ms': number('heartbeatIntervalMs', 1),
};

/** Properties that are thoth-messaging's variables: `-X sasl.username=u` is KAFKA_SASL_USERNAME=u. */
const VARIABLE_PROPERTIES: Record<string, string> = {
  'client.id': 'KAFKA_CLIENT_ID',
  'security.protocol': 'KAFKA_SECURITY_PROTOCOL',
  'sasl.mechanism': 'KAFKA_SASL_MECHANISM',
  'sasl.mechanisms': 'KAFKA_SASL_MECHANISM',
  'sasl.username': 'KAFKA_SASL_USERNAME',
  'sasl.password': 'KAFKA_SASL_PASSWORD',
  'ssl.ca.location': 'KAFKA_SSL_CA_LOCATION',
  'ssl.certificate.location': 'KAFKA_SSL_CERTIFICATE_LOCATION',
  'ssl.key.location': 'KAFKA_SSL_KEY_LOCATION',
  'ssl.key.password': 'KAFKA_SSL_KEY_PASSWORD',
  'group.id': 'KAFKA_CONSUMER_GROUP_ID',
  'auto.offset.reset': 'KAFKA_CONSUMER_AUTO_OFFSET_RESET',
  'message.max.bytes': 'KAFKA_MESSAGE_MAX_BYTES',
};

/** Every property --kafka-option takes, for help and errors. */
export const SUPPORTED_KAFKA_OPTIONS: readonly string[] = [...Object.keys(CLIENT_PROPERTIES), ...Object.keys(VARIABLE_PROPERTIES)].sort();

export interface ParsedKafkaOptions {
  client: KafkaClientOptions;
  /** Variables set by properties (they win over the environment, as flags do). */
  variables: Record<string, string>;
}

/** Parses `--kafka-option key=value` assignments; unsupported properties are named together in one usage error. */
export function parseKafkaOptions(assignments: readonly string[]): ParsedKafkaOptions {
  const parsed: ParsedKafkaOptions = { client: {}, variables: {} };
  const unsupported: string[] = [];
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    if (at <= 0) throw new UsageError(`--kafka-option expects property=value (as kcat's -X), got a value without "="`);
    const property = assignment.slice(0, at).trim();
    const value = assignment.slice(at + 1);
    const variable = VARIABLE_PROPERTIES[property];
    if (variable !== undefined) parsed.variables[variable] = value;
    else if (CLIENT_PROPERTIES[property]) CLIENT_PROPERTIES[property](value, parsed.client, property);
    else unsupported.push(property);
  }
  if (unsupported.length > 0) {
    throw new UsageError(
      `--kafka-option: ${unsupported.map((p) => `"${p}"`).join(', ')} ${unsupported.length === 1 ? 'is' : 'are'} not supported by thoth's Kafka client (kafkajs has no such setting)`,
      `supported: ${SUPPORTED_KAFKA_OPTIONS.join(', ')}`,
    );
  }
  if (parsed.client.acks !== undefined && parsed.client.acks !== -1 && parsed.client.idempotent !== false) {
    throw new UsageError(
      `--kafka-option acks=${parsed.client.acks} needs enable.idempotence=false: an idempotent producer waits for every in-sync replica`,
    );
  }
  return parsed;
}
