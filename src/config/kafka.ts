/**
 * Reads the Kafka settings of SPEC §2.2 (the variable names of
 * thoth-messaging) into the client configuration the Kafka transport needs.
 * No kafkajs import here: the shapes below match kafkajs' KafkaConfig
 * structurally, so this module stays cheap to load and to unit test.
 *
 * Secrets (KAFKA_SASL_PASSWORD, KAFKA_SSL_KEY_PASSWORD, key file contents)
 * never appear in an error message or in `address`.
 */
import { readFileSync } from 'node:fs';
import { UsageError, UserError } from '../core/errors.js';
import { COMPRESSION_CODECS, parseKafkaOptions, type Compression, type KafkaClientOptions } from './kafka-options.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_SSL' | 'SASL_PLAINTEXT';
export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface TlsSettings {
  ca?: string;
  cert?: string;
  key?: string;
  passphrase?: string;
}

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** `true` means TLS with the system's trusted CAs; absent means plaintext. */
  ssl?: TlsSettings | true;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
  /** KAFKA_CONSUMER_GROUP_ID, for commands that take a default group. */
  groupId?: string;
  /** KAFKA_CONSUMER_AUTO_OFFSET_RESET: where a group without a committed offset starts (default earliest, as thoth-messaging's consumers: a new investigator group misses nothing). */
  autoOffsetReset: 'earliest' | 'latest';
  /** KAFKA_MESSAGE_MAX_BYTES: the largest value the producer sends and the fetch size per partition. */
  messageMaxBytes?: number;
  /** For notices and errors: `kafka://host:port,...`. */
  address: string;
  /** Where the PEM files came from (KAFKA_SSL_*_LOCATION), for errors about their contents. */
  files?: { ca?: string; cert?: string; key?: string };
  /** Client properties from --kafka-option (kcat's -X) that kafkajs has. */
  client?: KafkaClientOptions;
  /**
   * Configuration of the topics thoth creates: upstream's KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE
   * (`compression.type`) and _LEVEL (as Kafka names it, `compression.<codec>.level`).
   */
  topicConfig?: Record<string, string>;
}

export type ReadText = (path: string) => string;

const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_SSL', 'SASL_PLAINTEXT'];
const MECHANISMS: Record<string, SaslMechanism> = { PLAIN: 'plain', 'SCRAM-SHA-256': 'scram-sha-256', 'SCRAM-SHA-512': 'scram-sha-512' };
const OFFSET_RESETS = ['earliest', 'latest'] as const;

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a.toLowerCase() === value.trim().toLowerCase());
  if (found === undefined) throw new UsageError(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return found;
}

/** Empty strings count as unset, as in a shell's `VAR= thoth ...`. */
function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

function readSettingFile(name: string, path: string, readText: ReadText): string {
  try {
    return readText(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UserError(`${name}: cannot read "${path}" (${reason})`, `point ${name} at a readable PEM file`);
  }
}

function tlsSettings(env: NodeJS.ProcessEnv, readText: ReadText, paths: NonNullable<KafkaSettings['files']>): TlsSettings | true {
  const files = {
    ca: 'KAFKA_SSL_CA_LOCATION',
    cert: 'KAFKA_SSL_CERTIFICATE_LOCATION',
    key: 'KAFKA_SSL_KEY_LOCATION',
  } as const;
  const tls: TlsSettings = {};
  for (const [field, name] of Object.entries(files) as Array<[keyof typeof files, string]>) {
    const path = setting(env, name);
    if (path === undefined) continue;
    tls[field] = readSettingFile(name, path, readText);
    paths[field] = path;
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new UsageError('KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION must be set together (client certificate and its key)');
  }
  const passphrase = setting(env, 'KAFKA_SSL_KEY_PASSWORD');
  if (passphrase !== undefined) tls.passphrase = passphrase;
  return Object.keys(tls).length === 0 ? true : tls;
}

function saslSettings(env: NodeJS.ProcessEnv): NonNullable<KafkaSettings['sasl']> {
  const mechanismName = setting(env, 'KAFKA_SASL_MECHANISM') ?? 'PLAIN';
  const mechanism = MECHANISMS[oneOf('KAFKA_SASL_MECHANISM', mechanismName, Object.keys(MECHANISMS))];
  const username = setting(env, 'KAFKA_SASL_USERNAME');
  const password = env.KAFKA_SASL_PASSWORD;
  if (username === undefined)
    throw new UsageError('KAFKA_SASL_USERNAME is required when KAFKA_SECURITY_PROTOCOL is SASL_SSL or SASL_PLAINTEXT');
  if (password === undefined || password === '') {
    throw new UsageError('KAFKA_SASL_PASSWORD is required when KAFKA_SECURITY_PROTOCOL is SASL_SSL or SASL_PLAINTEXT');
  }
  return { mechanism, username, password };
}

/** 1 MiB, Kafka's default `message.max.bytes`, when KAFKA_MESSAGE_MAX_BYTES is not set. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** KAFKA_MESSAGE_MAX_BYTES: the producer's limit and the consumers' size check; undefined when unset. */
export function messageMaxBytes(env: NodeJS.ProcessEnv): number | undefined {
  const value = setting(env, 'KAFKA_MESSAGE_MAX_BYTES');
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`KAFKA_MESSAGE_MAX_BYTES must be a positive whole number of bytes, got "${value}"`);
  }
  return Number(value);
}

const LEVELLED_CODECS = new Set(['gzip', 'lz4', 'zstd']);

/**
 * upstream's topic configuration variables (thoth-messaging's topic_config_from_env). Its
 * `compression.level` is no Kafka topic setting (the broker refuses it); Kafka 3.8+ names the
 * level per codec, so the level is given under that name, for the codec that has one.
 */
export function topicConfig(env: NodeJS.ProcessEnv): Record<string, string> | undefined {
  const type = setting(env, 'KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE');
  const level = setting(env, 'KAFKA_TOPIC_PRODUCER_COMPRESSION_LEVEL');
  if (type === undefined && level === undefined) return undefined;
  const config: Record<string, string> = {};
  const codec =
    type === undefined
      ? undefined
      : oneOf('KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE', type, [...COMPRESSION_CODECS, 'uncompressed', 'producer']);
  if (codec !== undefined) config['compression.type'] = codec;
  if (level !== undefined) {
    if (!/^-?\d+$/.test(level.trim()))
      throw new UsageError(`KAFKA_TOPIC_PRODUCER_COMPRESSION_LEVEL must be a whole number, got "${level}"`);
    if (codec === undefined || !LEVELLED_CODECS.has(codec)) {
      throw new UsageError('KAFKA_TOPIC_PRODUCER_COMPRESSION_LEVEL needs KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE set to gzip, lz4 or zstd');
    }
    config[`compression.${codec}.level`] = level.trim();
  }
  return config;
}

/** Builds the client settings from the environment; `readText` reads the PEM files (injected for tests). */
export function readKafkaSettings(
  brokers: readonly string[],
  environment: NodeJS.ProcessEnv,
  readText: ReadText = (path) => readFileSync(path, 'utf8'),
  options: { kafkaOptions?: readonly string[]; compression?: Compression } = {},
): KafkaSettings {
  // --kafka-option properties that are thoth-messaging variables override the environment, as flags do.
  const parsed = parseKafkaOptions(options.kafkaOptions ?? []);
  const env = { ...environment, ...parsed.variables };
  const protocol = oneOf('KAFKA_SECURITY_PROTOCOL', setting(env, 'KAFKA_SECURITY_PROTOCOL') ?? 'PLAINTEXT', PROTOCOLS);
  const settings: KafkaSettings = {
    brokers: [...brokers],
    clientId: setting(env, 'KAFKA_CLIENT_ID') ?? 'thoth',
    autoOffsetReset: oneOf(
      'KAFKA_CONSUMER_AUTO_OFFSET_RESET',
      setting(env, 'KAFKA_CONSUMER_AUTO_OFFSET_RESET') ?? 'earliest',
      OFFSET_RESETS,
    ),
    address: `kafka://${brokers.join(',')}`,
  };
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    settings.files = {};
    settings.ssl = tlsSettings(env, readText, settings.files);
  }
  if (protocol === 'SASL_SSL' || protocol === 'SASL_PLAINTEXT') settings.sasl = saslSettings(env);
  const groupId = setting(env, 'KAFKA_CONSUMER_GROUP_ID');
  if (groupId !== undefined) settings.groupId = groupId;
  const maxBytes = messageMaxBytes(env);
  if (maxBytes !== undefined) settings.messageMaxBytes = maxBytes;
  const client = { ...parsed.client, ...(options.compression !== undefined ? { compression: options.compression } : {}) };
  if (Object.keys(client).length > 0) settings.client = client;
  const topics = topicConfig(env);
  if (topics !== undefined) settings.topicConfig = topics;
  return settings;
}
