import { describe, expect, it } from 'vitest';
import { UsageError, UserError } from '../../src/core/errors.js';
import { readKafkaSettings } from '../../src/config/kafka.js';

const files: Record<string, string> = { '/pem/ca.pem': 'CA', '/pem/cert.pem': 'CERT', '/pem/key.pem': 'KEY' };
const readText = (path: string) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
};
const read = (env: NodeJS.ProcessEnv) => readKafkaSettings(['127.0.0.1:9092', 'kafka-2:9093'], env, readText);

describe('readKafkaSettings', () => {
  it('defaults to plaintext, client id thoth, earliest reset, and an address without credentials', () => {
    expect(read({})).toEqual({
      brokers: ['127.0.0.1:9092', 'kafka-2:9093'],
      clientId: 'thoth',
      autoOffsetReset: 'earliest',
      address: 'kafka://127.0.0.1:9092,kafka-2:9093',
    });
  });

  it.each([
    [{ KAFKA_CLIENT_ID: 'investigator' }, { clientId: 'investigator' }],
    [{ KAFKA_CONSUMER_GROUP_ID: 'thoth-investigator' }, { groupId: 'thoth-investigator' }],
    [{ KAFKA_CONSUMER_AUTO_OFFSET_RESET: 'LATEST' }, { autoOffsetReset: 'latest' }],
    [{ KAFKA_MESSAGE_MAX_BYTES: '2097152' }, { messageMaxBytes: 2097152 }],
    [{ KAFKA_SECURITY_PROTOCOL: 'plaintext', KAFKA_SSL_CA_LOCATION: '/missing.pem' }, { ssl: 'absent' }],
    [{ KAFKA_SECURITY_PROTOCOL: 'SSL' }, { ssl: true }],
    [{ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_LOCATION: '/pem/ca.pem' }, { ssl: { ca: 'CA' } }],
    [
      {
        KAFKA_SECURITY_PROTOCOL: 'SSL',
        KAFKA_SSL_CA_LOCATION: '/pem/ca.pem',
        KAFKA_SSL_CERTIFICATE_LOCATION: '/pem/cert.pem',
        KAFKA_SSL_KEY_LOCATION: '/pem/key.pem',
        KAFKA_SSL_KEY_PASSWORD: 'pass-phrase',
      },
      { ssl: { ca: 'CA', cert: 'CERT', key: 'KEY', passphrase: 'pass-phrase' } },
    ],
    [
      { KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_USERNAME: 'thoth', KAFKA_SASL_PASSWORD: 's3cret' },
      { ssl: 'absent', sasl: { mechanism: 'plain', username: 'thoth', password: 's3cret' } },
    ],
    [
      { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
      { ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } },
    ],
    [
      { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
      { sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' } },
    ],
    [
      { KAFKA_CLIENT_ID: '', KAFKA_MESSAGE_MAX_BYTES: ' ' },
      { clientId: 'thoth', messageMaxBytes: 'absent' },
    ],
  ])('%o', (env, expected: Record<string, unknown>) => {
    const settings = read(env);
    for (const [field, value] of Object.entries(expected)) {
      if (value === 'absent') expect(settings).not.toHaveProperty(field);
      else expect(settings).toHaveProperty(field, value);
    }
  });

  it.each([
    [{ KAFKA_SECURITY_PROTOCOL: 'TLS' }, 'KAFKA_SECURITY_PROTOCOL must be one of PLAINTEXT, SSL, SASL_SSL, SASL_PLAINTEXT, got "TLS"'],
    [
      { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'GSSAPI', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
      'KAFKA_SASL_MECHANISM must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, got "GSSAPI"',
    ],
    [{ KAFKA_CONSUMER_AUTO_OFFSET_RESET: 'smallest' }, 'KAFKA_CONSUMER_AUTO_OFFSET_RESET must be one of earliest, latest, got "smallest"'],
    [{ KAFKA_MESSAGE_MAX_BYTES: '1MB' }, 'KAFKA_MESSAGE_MAX_BYTES must be a positive whole number of bytes, got "1MB"'],
    [{ KAFKA_MESSAGE_MAX_BYTES: '0' }, 'KAFKA_MESSAGE_MAX_BYTES must be a positive whole number of bytes, got "0"'],
    [{ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_PASSWORD: 'p' }, /^KAFKA_SASL_USERNAME is required/],
    [{ KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_USERNAME: 'u' }, /^KAFKA_SASL_PASSWORD is required/],
    [{ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERTIFICATE_LOCATION: '/pem/cert.pem' }, /must be set together/],
  ])('rejects %o', (env, message) => {
    expect(() => read(env)).toThrow(UsageError);
    expect(() => read(env)).toThrow(message);
  });

  it('names the variable and the path of a PEM file it cannot read, as a user error', () => {
    const env = { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_LOCATION: '/etc/kafka/ca.pem' };
    expect(() => read(env)).toThrow(UserError);
    expect(() => read(env)).toThrow('KAFKA_SSL_CA_LOCATION: cannot read "/etc/kafka/ca.pem" (ENOENT)');
  });

  it('never puts a password in an error message', () => {
    const env = {
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'KERBEROS',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'hunter2-secret',
    };
    expect(() => read(env)).toThrow(/KAFKA_SASL_MECHANISM/);
    try {
      read(env);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2-secret');
    }
  });
});

describe('--kafka-option (kcat -X) and the topic configuration variables', () => {
  const withOptions = (kafkaOptions: string[], env: NodeJS.ProcessEnv = {}) =>
    readKafkaSettings(['127.0.0.1:9092'], env, readText, { kafkaOptions });

  it('maps the properties kafkajs has onto the client settings', () => {
    const settings = withOptions([
      'compression.codec=zstd',
      'request.timeout.ms=5000',
      'retries=7',
      'retry.backoff.ms=50',
      'fetch.wait.max.ms=100',
      'max.partition.fetch.bytes=2097152',
      'enable.idempotence=false',
      'acks=1',
    ]);
    expect(settings.client).toEqual({
      compression: 'zstd',
      requestTimeoutMs: 5000,
      retries: 7,
      retryBackoffMs: 50,
      fetchWaitMaxMs: 100,
      maxPartitionFetchBytes: 2097152,
      idempotent: false,
      acks: 1,
    });
  });

  it('reads the properties that are thoth-messaging variables as those variables, over the environment', () => {
    const settings = withOptions(['security.protocol=SASL_PLAINTEXT', 'sasl.username=u', 'sasl.password=p', 'client.id=kcat-like'], {
      KAFKA_CLIENT_ID: 'from-env',
    });
    expect(settings.sasl).toEqual({ mechanism: 'plain', username: 'u', password: 'p' });
    expect(settings.clientId).toBe('kcat-like');
  });

  it('names every unsupported property at once, with the supported list as the hint', () => {
    const error = (() => {
      try {
        withOptions(['linger.ms=5', 'batch.size=100', 'acks=all']);
      } catch (e) {
        return e as UsageError;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.message).toBe(
      `--kafka-option: "linger.ms", "batch.size" are not supported by thoth's Kafka client (kafkajs has no such setting)`,
    );
    expect(error?.hint).toContain('compression.codec');
  });

  it('refuses bad values by property name, never echoing the value', () => {
    expect(() => withOptions(['retries=many'])).toThrow('--kafka-option retries must be a whole number');
    expect(() => withOptions(['compression.codec=brotli'])).toThrow(
      '--kafka-option compression.codec must be one of none, gzip, snappy, lz4, zstd',
    );
    expect(() => withOptions(['acks=1'])).toThrow('needs enable.idempotence=false');
    expect(() => withOptions(['sasl.password'])).toThrow('--kafka-option expects property=value');
  });

  it('KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE / _LEVEL configure the topics thoth creates, as upstream', () => {
    expect(read({ KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE: 'ZSTD' }).topicConfig).toEqual({ 'compression.type': 'zstd' });
    expect(read({ KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE: 'gzip', KAFKA_TOPIC_PRODUCER_COMPRESSION_LEVEL: '9' }).topicConfig).toEqual({
      'compression.type': 'gzip',
      'compression.gzip.level': '9',
    });
    expect(read({}).topicConfig).toBeUndefined();
    expect(() => read({ KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE: 'brotli' })).toThrow(UsageError);
    expect(() => read({ KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE: 'snappy', KAFKA_TOPIC_PRODUCER_COMPRESSION_LEVEL: '3' })).toThrow(
      'needs KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE set to gzip, lz4 or zstd',
    );
  });
});
