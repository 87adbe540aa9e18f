/**
 * Topics just created on a busy broker: its metadata may not show them yet (UNKNOWN_TOPIC_OR_PARTITION,
 * where kafkajs waits only for LEADER_NOT_AVAILABLE). thoth waits for them instead of saying they do not
 * exist. A real broker shows this only under load, so a stand-in admin answers here.
 */
import { describe, expect, it } from 'vitest';
import { untilTopicsShown } from '../../src/transport/kafka/client.js';

/** As kafkajs makes them: a metadata that has not caught up is retriable, a refusal is not. */
const kafkaError = (type: string) =>
  Object.assign(new Error(type.toLowerCase()), { name: 'KafkaJSProtocolError', type, retriable: !type.endsWith('_AUTHORIZATION_FAILED') });
const shown = (leader: number) => ({
  topics: [{ name: 't', partitions: [{ partitionId: 0, leader, replicas: [1], isr: [1], offlineReplicas: [] }] }],
});

function admin(answers: Array<Error | ReturnType<typeof shown>>) {
  let asked = 0;
  return {
    asked: () => asked,
    fetchTopicMetadata: async () => {
      const answer = answers[Math.min(asked++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('topics just created, not yet in the metadata', () => {
  it('are waited for until each partition has a leader', async () => {
    const a = admin([kafkaError('UNKNOWN_TOPIC_OR_PARTITION'), shown(-1), kafkaError('LEADER_NOT_AVAILABLE'), shown(1)]);
    await untilTopicsShown(a as never, ['t'], kafkaError('UNKNOWN_TOPIC_OR_PARTITION'));
    expect(a.asked()).toBe(4);
  });

  it('that never show: the creation failure stands once the wait is over', async () => {
    const failure = kafkaError('UNKNOWN_TOPIC_OR_PARTITION');
    await expect(untilTopicsShown(admin([kafkaError('UNKNOWN_TOPIC_OR_PARTITION')]) as never, ['t'], failure, 400)).rejects.toBe(failure);
  });

  it('another refusal is not waited out', async () => {
    const a = admin([kafkaError('TOPIC_AUTHORIZATION_FAILED')]);
    await expect(untilTopicsShown(a as never, ['t'], kafkaError('UNKNOWN_TOPIC_OR_PARTITION'))).rejects.toThrow(
      'topic_authorization_failed',
    );
    expect(a.asked()).toBe(1);
  });
});
