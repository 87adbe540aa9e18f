/**
 * `thoth dead-letters list | show | redrive` on the embedded broker: the
 * stuck-loop drill (a message dead-lettered for an unregistered index, the
 * index registered, the message re-driven and processed), the refusal of a
 * second re-drive, and where the original is read from when the source topic
 * cannot give it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { openEmbeddedBroker } from '../../src/transport/embedded.js';
import { cleanEnv, runThoth } from '../support/cli.js';

const INDEX = 'https://index.example/simple';
const SOURCE = 'thoth.investigator.unresolved-package';

let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-dead-letters-'));
  db = join(dir, 'thoth.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const noIndex = () => cleanEnv({ KUBECONFIG: join(dir, 'no-kubeconfig') });
const withIndex = () => cleanEnv({ KUBECONFIG: join(dir, 'no-kubeconfig'), THOTH_INDEX_URLS: INDEX });
const thoth = (args: string[], env = noIndex()) => runThoth(['--db', db, ...args], { env });
const json = <T = Array<Record<string, unknown>>>(text: string) => JSON.parse(text) as T;
const ndjson = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** One unresolved-package on an index the investigator does not know yet: dead-lettered as UnregisteredIndex. */
async function deadLettered() {
  const published = await thoth(['publish', 'unresolved-package', 'requests==2.25.1', '--index-url', INDEX, '--header', 'trace=abc']);
  expect(published.code).toBe(0);
  const run = await thoth(['investigate', '--until-idle', '0.5', '--port', 'none']);
  expect(ndjson(run.stdout).at(-1)).toMatchObject({ counts: { deadLetters: 1 } });
}

const sourceRecords = async () => ndjson((await thoth(['tail', SOURCE, '--exit-at-end', '-o', 'ndjson'])).stdout);

describe('thoth dead-letters on the embedded broker', () => {
  it('lists and shows a dead letter with its id, key and headers', async () => {
    await deadLettered();
    const list = await thoth(['dead-letters', 'list', '-o', 'json']);
    expect(list.code).toBe(0);
    const [letter] = json(list.stdout);
    expect({ ...letter, created_at: '<time>' }).toEqual({
      id: 1,
      origin: `embedded:${db}`,
      topic: SOURCE,
      partition: 0,
      offset: 0,
      error_class: 'UnregisteredIndex',
      reason: `index_url "${INDEX}" is not a registered index (registered: none); add it to THOTH_INDEX_URLS`,
      key: 'requests==2.25.1',
      headers: { trace: 'abc' },
      value: expect.objectContaining({ package_name: 'requests', package_version: '2.25.1', index_url: INDEX }),
      created_at: '<time>',
      redriven: false,
      redrives: [],
    });

    const table = await runThoth(['--db', db, 'dead-letters', 'list'], { env: noIndex(), tty: true });
    expect(table.stdout).toMatch(/^ID\s+DEAD-LETTERED\s+SOURCE\s+ERROR\s+REDRIVEN\s+REASON/);
    expect(table.stdout).toMatch(/\n\s*1\s+\S+Z\s+unresolved-package\[0\]@0\s+UnregisteredIndex\s+no\s+index_url/);

    const show = await runThoth(['--db', db, 'dead-letters', 'show', '1'], { env: noIndex(), tty: true });
    expect(show.stdout).toMatch(/key:\s+requests==2\.25\.1/);
    expect(show.stdout).toMatch(/headers:\s+trace=abc/);
    expect(show.stdout).toMatch(/redriven:\s+no/);
    expect(show.stdout).toContain('"package_name": "requests"');

    expect(await thoth(['dead-letters', 'list', '--error-class', 'SchemaViolation', '-o', 'json'])).toMatchObject({
      code: 0,
      stdout: '[]\n',
    });
    expect(json((await thoth(['dead-letters', 'list', '--topic', 'unresolved-package', '-o', 'json'])).stdout)).toHaveLength(1);
    expect(json((await thoth(['dead-letters', 'list', '--topic', 'solved-package', '-o', 'json'])).stdout)).toHaveLength(0);
  });

  it('re-drives the original record once, and refuses the second time unless --again', async () => {
    await deadLettered();

    const dry = await thoth(['dead-letters', 'redrive', '--all', '--dry-run', '-o', 'json']);
    expect(dry.code).toBe(0);
    expect(json(dry.stdout)).toEqual([{ id: 1, topic: SOURCE, status: 'would-redrive', copy: 'source-topic' }]);
    expect(dry.stderr).toContain('would re-drive 1 of 1 dead letter (dry run: nothing sent)');
    expect(await sourceRecords()).toHaveLength(1);

    const redrive = await thoth(['dead-letters', 'redrive', '1', '-o', 'json'], withIndex());
    expect(redrive.code).toBe(0);
    expect(json(redrive.stdout)).toEqual([
      { id: 1, topic: SOURCE, status: 'redriven', copy: 'source-topic', position: { topic: SOURCE, partition: 0, offset: 1 } },
    ]);
    const [original, again] = await sourceRecords();
    expect(again).toMatchObject({
      key: original.key,
      value: original.value,
      headers: { trace: 'abc', 'thoth-redriven-from': `${SOURCE}/0/0` },
    });

    // The fixed loop takes it up: processed, no new dead letter.
    const run = await thoth(['investigate', '--until-idle', '0.5', '--port', 'none'], withIndex());
    expect(ndjson(run.stdout).at(-1)).toMatchObject({ counts: { received: 1, processed: 1, deadLetters: 0 } });

    const second = await thoth(['dead-letters', 'redrive', '1', '-o', 'json'], withIndex());
    expect(second.code).toBe(1);
    expect(json(second.stdout)).toEqual([
      expect.objectContaining({ id: 1, status: 'already-redriven', note: expect.stringContaining('--again sends it once more') }),
    ]);
    expect(second.stderr).toMatch(/warning: dead letter 1: re-driven at \S+ to thoth\.investigator\.unresolved-package\/0\/1/);
    // Selected by a filter, a re-driven dead letter is left out.
    const all = await thoth(['dead-letters', 'redrive', '--all', '-o', 'json'], withIndex());
    expect(all).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(await sourceRecords()).toHaveLength(2);

    const forced = await thoth(['dead-letters', 'redrive', '1', '--again', '-o', 'json'], withIndex());
    expect(forced.code).toBe(0);
    expect(json(forced.stdout)).toEqual([
      expect.objectContaining({ status: 'redriven', position: { topic: SOURCE, partition: 0, offset: 2 } }),
    ]);

    expect(json((await thoth(['dead-letters', 'list', '--pending', '-o', 'json'])).stdout)).toEqual([]);
    const [redriven] = json((await thoth(['dead-letters', 'list', '--redriven', '-o', 'json'])).stdout);
    expect(redriven).toMatchObject({
      redriven: true,
      redrives: [
        { copy: 'source-topic', topic: SOURCE, partition: 0, offset: 1 },
        { copy: 'source-topic', topic: SOURCE, partition: 0, offset: 2 },
      ],
    });
  });

  it('reads the original from the dead-letter topic when the dead letter came from another broker', async () => {
    await deadLettered();
    // The same cache, as if its dead letter had come from a Kafka cluster whose topic this broker's dead-letter topic mirrors.
    const handle = new Database(db);
    handle.prepare(`UPDATE dead_letters SET origin = 'kafka://elsewhere:9092'`).run();
    handle.close();

    const dry = await thoth(['dead-letters', 'redrive', '1', '--dry-run', '-o', 'json']);
    expect(json(dry.stdout)).toEqual([{ id: 1, topic: SOURCE, status: 'would-redrive', copy: 'dead-letter-topic' }]);
    const sent = await thoth(['dead-letters', 'redrive', '1', '-o', 'json']);
    expect(json(sent.stdout)).toEqual([expect.objectContaining({ status: 'redriven', copy: 'dead-letter-topic' })]);
    const [, redriven] = await sourceRecords();
    // The dead-letter topic's own headers (thoth-source-*, thoth-error-class, thoth-reason) are not carried over.
    expect(redriven.headers).toEqual({ trace: 'abc', 'thoth-redriven-from': `${SOURCE}/0/0` });
    expect(redriven.key).toBe('requests==2.25.1');
  });

  it('uses the cache copy of a --from run only when it is whole, and says why not otherwise', async () => {
    const stream = join(dir, 'stream.ndjson');
    const line = (value: Record<string, unknown>, key: string) =>
      JSON.stringify({ topic: 'thoth.package-extract-trigger', key, headers: {}, value, timestamp: 1714564800000 });
    const body = (extra: Record<string, unknown>) => ({
      component_name: 'thoth',
      service_version: '0.1.0',
      // A version this thoth does not know: dead-lettered.
      version: 'v9',
      image: 'quay.example/app:1',
      environment_type: 'runtime',
      ...extra,
    });
    writeFileSync(
      stream,
      [line(body({ registry_user: 'u', registry_password: 's3cret' }), 'masked'), line(body({}), 'plain')].join('\n') + '\n',
    );
    const run = await thoth(['investigate', '--from', stream]);
    expect(ndjson(run.stdout).at(-1)).toMatchObject({ counts: { deadLetters: 2 } });
    // A dead letter kept before keys were recorded.
    const store = openStore(db);
    store.transaction(() =>
      store.recordDeadLetter({
        topic: SOURCE,
        partition: 0,
        offset: 7,
        errorClass: 'NotJson',
        reason: 'not JSON',
        value: 'oops',
        headers: {},
        createdAt: '2024-05-01T12:00:00Z',
      }),
    );
    store.close();

    const dry = await thoth(['dead-letters', 'redrive', '--all', '--dry-run', '-o', 'json']);
    expect(dry.code).toBe(1);
    const results = json(dry.stdout);
    // Oldest first: the one kept by an older thoth is dated 2024.
    expect(results).toEqual([
      expect.objectContaining({
        id: 3,
        status: 'unavailable',
        note: expect.stringContaining('the cache did not record the key (a dead letter kept by an older thoth)'),
      }),
      expect.objectContaining({
        id: 1,
        status: 'unavailable',
        note: expect.stringContaining('the cache kept the value with its secrets masked'),
      }),
      { id: 2, topic: 'thoth.package-extract-trigger', status: 'would-redrive', copy: 'cache' },
    ]);
    expect(results[1].note).toContain(`it came from file:${stream}, not from embedded:${db}`);
    expect(dry.stderr).toContain('warning: dead letter 1: the original record is nowhere to be read');
    expect(dry.stdout).not.toContain('s3cret');

    const sent = await thoth(['dead-letters', 'redrive', '2', '-o', 'json']);
    expect(json(sent.stdout)).toEqual([expect.objectContaining({ status: 'redriven', copy: 'cache' })]);
    const broker = openEmbeddedBroker(openStore(db), db);
    expect((await broker.topics()).find((t) => t.name === 'thoth.package-extract-trigger')?.messages).toBe(1);
  });

  it('refuses a redrive with no selection, unknown ids and bad ids', async () => {
    await deadLettered();
    const none = await thoth(['dead-letters', 'redrive']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('name the dead letters to re-drive: ids, a filter (--error-class, --topic, --since, --until) or --all');
    expect(await thoth(['dead-letters', 'redrive', '9'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no dead letter has id 9'),
    });
    expect(await thoth(['dead-letters', 'show', '9'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no dead letter has id 9'),
    });
    const bad = await thoth(['dead-letters', 'show', 'x1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('a dead letter id is a positive whole number');
    expect((await thoth(['dead-letters', 'list', '--pending', '--redriven'])).code).toBe(2);
    expect((await thoth(['dead-letters', 'list', '--since', 'yesterday'])).code).toBe(2);
  });
});
