import { describe, expect, it } from 'vitest';
import { FETCH_WAIT_MAX_MS, parseKafkaOptions } from '../../src/config/kafka-options.js';
import { UsageError } from '../../src/core/errors.js';
import { groupConsumerTuning } from '../../src/transport/kafka/consume.js';

const tuning = (options: string[], defaults?: Parameters<typeof groupConsumerTuning>[1], messageMaxBytes?: number) =>
  groupConsumerTuning({ client: parseKafkaOptions(options).client, messageMaxBytes }, defaults);

describe('a group consumer’s settings from --kafka-option', () => {
  it('takes each consumer property kcat users give', () => {
    expect(
      tuning([
        'fetch.wait.max.ms=50',
        'fetch.min.bytes=10',
        'fetch.max.bytes=2000000',
        'max.partition.fetch.bytes=4096',
        'session.timeout.ms=45000',
        'heartbeat.interval.ms=5000',
        'metadata.max.age.ms=60000',
      ]),
    ).toEqual({
      maxWaitTimeInMs: 50,
      minBytes: 10,
      maxBytes: 2_000_000,
      maxBytesPerPartition: 4096,
      sessionTimeout: 45_000,
      heartbeatInterval: 5000,
      metadataMaxAge: 60_000,
    });
  });

  it("keeps the caller's defaults, and the message size as the smallest per-partition fetch, where none is given", () => {
    expect(tuning([], { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 }, 5_000_000)).toEqual({
      maxWaitTimeInMs: FETCH_WAIT_MAX_MS,
      maxBytesPerPartition: 5_000_000,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    // kafkajs' own session timeout and heartbeat for a caller with none.
    expect(tuning([])).toEqual({ maxWaitTimeInMs: FETCH_WAIT_MAX_MS, maxBytesPerPartition: 1_048_576 });
  });

  it('gives a session timeout set alone a heartbeat of a third of it at most', () => {
    expect(tuning(['session.timeout.ms=2400'])).toMatchObject({ sessionTimeout: 2400, heartbeatInterval: 800 });
    expect(tuning(['session.timeout.ms=2400'], { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 })).toMatchObject({
      sessionTimeout: 2400,
      heartbeatInterval: 500,
    });
    expect(tuning(['session.timeout.ms=60000'])).toMatchObject({ sessionTimeout: 60_000, heartbeatInterval: 3000 });
  });

  it('refuses a heartbeat not below the session timeout in force, naming both', () => {
    expect(() => tuning(['session.timeout.ms=9000', 'heartbeat.interval.ms=9000'])).toThrow(
      new UsageError(
        '--kafka-option heartbeat.interval.ms (9000) must be below session.timeout.ms (9000): a member that heartbeats less often than that is taken for dead',
        'a heartbeat of about a third of session.timeout.ms is the usual choice',
      ),
    );
    expect(() => tuning(['heartbeat.interval.ms=20000'], { sessionTimeoutMs: 10_000 })).toThrow(/below the session timeout \(10000\)/);
    // kafkajs' own session timeout (30 s) when neither is given.
    expect(() => tuning(['heartbeat.interval.ms=30000'])).toThrow(/below the session timeout \(30000\)/);
    expect(tuning(['heartbeat.interval.ms=20000'])).toMatchObject({ heartbeatInterval: 20_000 });
  });
});
