/**
 * `thoth dead-letters redrive` against a real Kafka broker: the original
 * record is read back from its source topic (or the dead-letter topic) and
 * published again with its key and headers, once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';
import { kafkaBootstrap, kcatConsume, kcatHeaders } from '../support/kafka.js';

const OTHER_INDEX = 'https://other.example/simple';
const work = mkdtempSync(join(tmpdir(), 'thoth-dead-letters-kafka-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('thoth dead-letters redrive on Kafka', () => {
  it('re-publishes the original from the source topic, then from the dead-letter topic, and never twice by accident', async () => {
    const deployment = `dlq${Math.random().toString(36).slice(2, 8)}`;
    const db = join(work, `${deployment}.db`);
    const env = (indexes: string) =>
      cleanEnv({ KAFKA_BOOTSTRAP_SERVERS: kafkaBootstrap(), THOTH_INDEX_URLS: indexes, KUBECONFIG: join(work, 'none') });
    const thoth = (args: string[], indexes = 'https://index.example/simple') =>
      runThoth(['--db', db, '--deployment-name', deployment, ...args], { env: env(indexes) });
    const source = `${deployment}.thoth.investigator.unresolved-package`;

    expect((await thoth(['topics', 'create'])).code).toBe(0);
    const published = await thoth([
      'publish',
      'unresolved-package',
      'requests==2.25.1',
      '--index-url',
      OTHER_INDEX,
      '--header',
      'trace=abc',
    ]);
    expect(published.code).toBe(0);
    const run = await thoth(['investigate', '--until-idle', '2', '--port', 'none', '--group', `${deployment}-investigator`]);
    expect(run.stdout).toContain('"event":"dead-letter"');

    const [letter] = JSON.parse((await thoth(['dead-letters', 'list', '-o', 'json'])).stdout) as Array<Record<string, unknown>>;
    expect(letter).toMatchObject({
      id: 1,
      origin: `kafka://${kafkaBootstrap()}`,
      error_class: 'UnregisteredIndex',
      key: 'requests==2.25.1',
    });

    const dry = await thoth(['dead-letters', 'redrive', '--error-class', 'UnregisteredIndex', '--dry-run', '-o', 'json']);
    expect(JSON.parse(dry.stdout)).toEqual([{ id: 1, topic: source, status: 'would-redrive', copy: 'source-topic' }]);
    expect(await kcatConsume(source)).toHaveLength(1);

    const sent = await thoth(['dead-letters', 'redrive', '1', '-o', 'json'], OTHER_INDEX);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toEqual([
      { id: 1, topic: source, status: 'redriven', copy: 'source-topic', position: { topic: source, partition: 0, offset: 1 } },
    ]);
    const [original, redriven] = await kcatConsume(source);
    expect(redriven.key).toBe(original.key);
    expect(redriven.payload).toBe(original.payload);
    expect(kcatHeaders(redriven)).toEqual({ ...kcatHeaders(original), 'thoth-redriven-from': `${source}/0/0` });

    const refused = await thoth(['dead-letters', 'redrive', '1'], OTHER_INDEX);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--again sends it once more');
    expect(await kcatConsume(source)).toHaveLength(2);

    // From another cluster's point of view the source position means nothing: the dead-letter topic has the record.
    const handle = new Database(db);
    handle.prepare(`UPDATE dead_letters SET origin = 'kafka://elsewhere:9092'`).run();
    handle.close();
    const fallback = await thoth(['dead-letters', 'redrive', '1', '--again', '-o', 'json'], OTHER_INDEX);
    expect(JSON.parse(fallback.stdout)).toEqual([expect.objectContaining({ status: 'redriven', copy: 'dead-letter-topic' })]);
    const third = (await kcatConsume(source))[2];
    expect(third.key).toBe(original.key);
    expect(third.payload).toBe(original.payload);
    expect(kcatHeaders(third)).toEqual({ ...kcatHeaders(original), 'thoth-redriven-from': `${source}/0/0` });
  });
});
