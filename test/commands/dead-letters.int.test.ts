/**
 * `thoth dead-letters redrive` against a real Kafka broker: the original
 * record is read back from its source topic (or the dead-letter topic) and
 * published again with its key and headers, once; and dead letters read back
 * from the dead-letter topic into a cache.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

describe('dead letters read back from the dead-letter topic on Kafka', () => {
  const BAD = JSON.stringify({
    topic: 'thoth.solver.solved-package',
    key: 'broken==1.0',
    headers: { authorization: 'Bearer not-for-the-cache' },
    value: {
      component_name: 'test',
      service_version: '1.0.0',
      version: 'v1',
      package_name: 'broken',
      index_url: 'https://index.example/simple',
      solver: 'solver-rhel-8-py38',
      password: 'hunter2',
    },
    timestamp: 1700000000000,
  });

  /** A deployment of its own with one solver result that has no version (dead-lettered), investigated with cache `a.db`. */
  async function deadLettered() {
    const deployment = `dlr${Math.random().toString(36).slice(2, 8)}`;
    const env = cleanEnv({ KAFKA_BOOTSTRAP_SERVERS: kafkaBootstrap(), THOTH_INDEX_URLS: 'https://index.example/simple' });
    const thoth = (db: string, args: string[]) =>
      runThoth(['--db', join(work, `${deployment}-${db}`), '--deployment-name', deployment, ...args], { env });
    const stream = join(work, `${deployment}.ndjson`);
    writeFileSync(stream, `${BAD}\n`);
    expect((await thoth('replay.db', ['replay', '--include-invalid', stream])).code).toBe(0);
    const investigate = () => thoth('a.db', ['investigate', '--workflows', 'record', '--port', 'none', '--until-idle', '2']);
    expect((await investigate()).stdout).toContain('"event":"dead-letter"');
    const list = async (db: string) =>
      JSON.parse((await thoth(db, ['dead-letters', 'list', '-o', 'json'])).stdout) as Array<Record<string, unknown>>;
    return { deployment, thoth, investigate, list, path: join(work, `${deployment}-a.db`) };
  }

  /** A dead letter as two caches may both hold it: each numbers its own, and stamps it when it learnt of it. */
  const comparable = (letter: Record<string, unknown>) => ({ ...letter, id: undefined, created_at: undefined });

  it('another cache learns the deployment dead letters with cache sync, secrets masked, each once', async () => {
    const { thoth, list } = await deadLettered();
    const [written] = await list('a.db');
    expect(written).toMatchObject({ error_class: 'ValidationError', key: 'broken==1.0', headers: { authorization: '***' } });
    expect((written.value as Record<string, unknown>).password).toBe('***');

    const synced = await thoth('b.db', ['cache', 'sync', '-o', 'json']);
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(synced.stdout)).toMatchObject({
      dead_letters: { topic: expect.stringMatching(/\.thoth\.investigator\.dead-letter$/), kept: 1 },
    });
    const learnt = await list('b.db');
    expect(learnt.map(comparable)).toEqual([comparable(written)]);
    expect(JSON.stringify(learnt)).not.toContain('hunter2');
    expect(JSON.stringify(learnt)).not.toContain('not-for-the-cache');

    const again = await thoth('b.db', ['cache', 'sync', '-o', 'table']);
    expect(again.stdout).toMatch(/dead-letter: 0 dead letter\(s\) new to the cache/);
    expect(await list('b.db')).toHaveLength(1);
  });

  it('a dead letter committed to Kafka whose cache commit was lost is back after the investigator restarts', async () => {
    const { investigate, list, path } = await deadLettered();
    const [written] = await list('a.db');
    // What a process killed between the broker's commit and the cache's leaves: the dead letter on its topic and in
    // the group's offset, none of it in the cache (neither the row nor how far the cache read the dead-letter topic).
    const handle = new Database(path);
    handle.prepare('DELETE FROM dead_letters').run();
    handle.prepare(`DELETE FROM changelog_offsets WHERE topic LIKE '%.dead-letter'`).run();
    handle.close();
    expect(await list('a.db')).toEqual([]);

    const restarted = await investigate();
    expect(restarted.code, restarted.stderr).toBe(0);
    // Nothing handled again (the group's offset is past it): the dead letter comes back from its topic, once.
    expect(restarted.stdout).not.toContain('"event":"dead-letter"');
    expect((await list('a.db')).map(comparable)).toEqual([comparable(written)]);
  });
});
