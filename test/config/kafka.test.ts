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
