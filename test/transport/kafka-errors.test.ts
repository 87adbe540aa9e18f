import { describe, expect, it } from 'vitest';
import { isRetriableKafkaFailure, retryWhileSettling } from '../../src/transport/kafka/errors.js';

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
