import { describe, expect, it } from 'vitest';
import type { KafkaSettings } from '../../src/config/kafka.js';
import { PermanentError, TransientError } from '../../src/core/errors.js';
import { BrokerRefusal, describeKafkaFailure, isRetriableKafkaFailure, retryWhileSettling } from '../../src/transport/kafka/errors.js';

/** kafkajs-shaped errors: a protocol error wrapped by "retries exceeded". */
function protocolError(type: string, retriable: boolean): Error {
  const inner = Object.assign(new Error(`protocol error ${type}`), { name: 'KafkaJSProtocolError', type, retriable });
  return Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, cause: inner });
}

describe('retrying while a new topic elects its leader', () => {
  it('recognises leader elections and kafkajs retriable errors, not authorisation failures', () => {
    expect(isRetriableKafkaFailure(protocolError('NOT_LEADER_FOR_PARTITION', false))).toBe(true);
    expect(isRetriableKafkaFailure(protocolError('LEADER_NOT_AVAILABLE', true))).toBe(true);
    expect(isRetriableKafkaFailure(protocolError('TOPIC_AUTHORIZATION_FAILED', false))).toBe(false);
    expect(isRetriableKafkaFailure(new Error('plain'))).toBe(false);
  });

  it('tries again until the cluster answers, and gives up at once on a permanent failure', async () => {
    let calls = 0;
    const signal = new AbortController().signal;
    const answer = await retryWhileSettling(async () => {
      calls += 1;
      if (calls < 3) throw protocolError('NOT_LEADER_FOR_PARTITION', false);
      return 'offsets';
    }, signal);
    expect(answer).toBe('offsets');
    expect(calls).toBe(3);

    let permanentCalls = 0;
    await expect(
      retryWhileSettling(async () => {
        permanentCalls += 1;
        throw protocolError('TOPIC_AUTHORIZATION_FAILED', false);
      }, signal),
    ).rejects.toThrow('retries exceeded');
    expect(permanentCalls).toBe(1);
  });
});

describe('the broker refusing a record or a topic is permanent, with its reason', () => {
  const settings: KafkaSettings = {
    brokers: ['127.0.0.1:9092'],
    clientId: 'thoth',
    autoOffsetReset: 'earliest',
    address: 'kafka://127.0.0.1:9092',
  };
  const describe_ = (error: Error) => describeKafkaFailure(settings, error, 'sending to dev.thoth.investigator.adviser-re-run');

  it.each([
    ['MESSAGE_TOO_LARGE', 'MessageTooLarge', false],
    ['RECORD_LIST_TOO_LARGE', 'RecordListTooLarge', false],
    ['INVALID_RECORD', 'InvalidRecord', false],
    ['INVALID_TOPIC_EXCEPTION', 'InvalidTopicException', true],
    ['UNKNOWN_TOPIC_OR_PARTITION', 'UnknownTopicOrPartition', true],
    ['TOPIC_AUTHORIZATION_FAILED', 'TopicAuthorizationFailed', true],
  ])('%s is a PermanentError of class %s (topic-scoped: %s), never a transient one', (type, errorClass, topicScoped) => {
    const failure = describe_(protocolError(type, false));
    expect(failure).toBeInstanceOf(PermanentError);
    expect(failure).toBeInstanceOf(BrokerRefusal);
    expect(failure).not.toBeInstanceOf(TransientError);
    expect((failure as PermanentError).errorClass).toBe(errorClass);
    expect((failure as BrokerRefusal).topicScoped).toBe(topicScoped);
    expect(failure.message).toContain('sending to dev.thoth.investigator.adviser-re-run');
  });

  it("carries the broker's own words", () => {
    const failure = describe_(protocolError('MESSAGE_TOO_LARGE', false));
    expect(failure.message).toBe(
      'Kafka at 127.0.0.1:9092: sending to dev.thoth.investigator.adviser-re-run: the broker refused it: protocol error MESSAGE_TOO_LARGE (MESSAGE_TOO_LARGE)',
    );
  });

  it('a broker that is away is still transient', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(describe_(Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError', cause: refused }))).toBeInstanceOf(
      TransientError,
    );
  });

  it('kafkajs failing on an answer that is not there is told as such, and is transient', () => {
    // What kafkajs throws when a request with too short a request.timeout.ms leaves it nothing to read.
    const internal = new TypeError("Cannot destructure property 'brokers' of '(intermediate value)' as it is undefined.");
    const failure = describeKafkaFailure(settings, internal, 'creating dev.thoth.investigator.knowledge');
    expect(failure).toBeInstanceOf(TransientError);
    expect(failure.message).toBe(
      "Kafka at 127.0.0.1:9092: creating dev.thoth.investigator.knowledge failed (no usable answer from the broker; kafkajs: Cannot destructure property 'brokers' of '(intermediate value)' as it is undefined.)",
    );
  });
});
