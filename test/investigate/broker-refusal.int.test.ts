/**
 * A follow-up message the broker refuses for good (MESSAGE_TOO_LARGE: its
 * topic takes only tiny records) is not retried for ever: the investigator
 * dead-letters the message that caused it, with the broker's reason, and
 * goes on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runThoth } from '../support/cli.js';
import { kafkaBootstrap, kcatConsume, kcatHeaders } from '../support/kafka.js';
import { INDEX, RECORD_INVESTIGATE, kafkaEnv } from './investigator-process.js';
import { createTopicsWithLeaders } from '../../src/transport/kafka/client.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-refusal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function createTinyTopic(topic: string): Promise<void> {
  const admin = new kafkajs.Kafka({ brokers: [kafkaBootstrap()], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await createTopicsWithLeaders(admin, [
      { topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: '120' }] },
    ]);
  } finally {
    await admin.disconnect();
  }
}

describe('a follow-up the broker refuses for good', () => {
  it("dead-letters the message that caused it with the broker's reason, instead of retrying for ever", { timeout: 120_000 }, async () => {
    const env = kafkaEnv({ THOTH_SOLVERS: 'solver-rhel-8-py38' });
    const deployment = env.THOTH_DEPLOYMENT_NAME;
    const db = join(dir, 'thoth.db');
    await createTinyTopic(`${deployment}.thoth.investigator.adviser-re-run`);
    const thoth = (args: string[]) => runThoth(['--db', db, ...args], { env });

    // An advice run waits on flask 2.0.1; once it is solved, the investigator publishes adviser-re-run, which is too large.
    for (const args of [
      [
        'publish',
        'unresolved-package',
        'flask==2.0.1',
        '--index-url',
        INDEX,
        '--solver',
        'solver-rhel-8-py38',
        '--adviser-id',
        'adviser-1',
      ],
      ['publish', 'solved-package', 'flask==2.0.1', '--index-url', INDEX, '--solver', 'solver-rhel-8-py38'],
    ]) {
      const published = await thoth([...args, '-o', 'json']);
      expect(published.code, published.stderr).toBe(0);
    }
    // Not held for ever (kafkajs' own retries are for transient failures only): the run goes idle and ends.
    const run = await thoth([...RECORD_INVESTIGATE, '--until-idle', '3']);
    expect(run.code, run.stderr).toBe(0);
    const events = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; topic?: string; errorClass?: string; reason?: string });
    const deadLetters = events.filter((e) => e.event === 'dead-letter');
    // Topics are consumed side by side: whichever of the two came last completed the advice's wait and made the follow-up.
    expect(deadLetters).toEqual([expect.objectContaining({ errorClass: 'MessageTooLarge' })]);
    expect(deadLetters[0].reason).toMatch(
      /sending to (\S+, )*\S+\.thoth\.investigator\.adviser-re-run(, \S+)*: the broker refused it: .* \(MESSAGE_TOO_LARGE\)$/,
    );

    const [letter] = await kcatConsume(`${deployment}.thoth.investigator.dead-letter`);
    expect(kcatHeaders(letter)).toMatchObject({
      'thoth-source-topic': deadLetters[0].topic,
      'thoth-error-class': 'MessageTooLarge',
      'thoth-reason': expect.stringContaining('the broker refused it'),
    });
    const listed = await thoth(['query', 'dead-letters', '-o', 'json']);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ error_class: 'MessageTooLarge' })]);
  });
});
