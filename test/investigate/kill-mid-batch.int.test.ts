/**
 * Batches and crashes: the investigator is SIGKILLed while batches are open
 * (handled records whose batch is not committed yet), restarted, killed
 * again, and finally run to the end. Its effects must equal those of one
 * uninterrupted run of the same stream: the same workflows, the same facts in
 * the cache, every message closed once in the inbox, and (on the embedded
 * broker, where the knowledge topic is a table) not one fact record written
 * twice. On Kafka and on the embedded broker.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';
import { INDEX, kafkaEnv, replayLines, startInvestigator, unresolved, waitFor } from './investigator-process.js';

const VERSIONS = 300;
/** Each version asked for twice: the second request is a fact of its own, and meets the ledger's workflow. */
const N = VERSIONS * 2;
const BATCH = 150;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-kill-batch-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Setup {
  env: NodeJS.ProcessEnv;
  /** Global options before the command. */
  global: (db: string) => string[];
  /** Publishes the stream for a run whose cache is `db`. */
  publish: (stream: string, db: string) => Promise<void>;
  /** What a topic name carries besides its base name (the deployment prefix). */
  prefix: string;
}

function kafka(): Setup {
  const env = kafkaEnv();
  return {
    env,
    global: (db) => ['--db', db],
    publish: async (stream) => replayLines(stream, env, join(dir, `replay-${Math.random()}.db`)),
    prefix: `${env.THOTH_DEPLOYMENT_NAME}.`,
  };
}

function embedded(): Setup {
  const env = cleanEnv({ THOTH_INDEX_URLS: INDEX, THOTH_HOME: dir });
  return {
    env,
    global: (db) => ['--db', db, '--broker', 'embedded'],
    publish: async (stream, db) => {
      const result = await runThoth(['--db', db, '--broker', 'embedded', 'replay', stream], { env });
      if (result.code !== 0) throw new Error(`replay failed: ${result.stderr}`);
    },
    prefix: '',
  };
}

async function sql(setup: Setup, db: string, query: string): Promise<Array<Record<string, unknown>>> {
  const result = await runThoth([...setup.global(db), 'query', 'sql', query, '-o', 'json'], { env: setup.env });
  if (result.code !== 0) throw new Error(`query failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Array<Record<string, unknown>>;
}

/** What a run leaves behind, with the deployment prefix taken out of message ids. */
async function effects(setup: Setup, db: string) {
  const strip = (text: unknown) => String(text).split(setup.prefix).join('');
  const workflows = await sql(setup, db, 'SELECT name, kind, parameters, status FROM workflows ORDER BY name');
  const facts = (await sql(setup, db, 'SELECT key FROM facts ORDER BY key')).map((r) => strip(r.key)).sort();
  const inbox = await sql(setup, db, "SELECT outcome, count(*) AS n FROM inbox WHERE topic NOT LIKE '%decisions' GROUP BY outcome");
  const deadLetters = await sql(setup, db, 'SELECT count(*) AS n FROM dead_letters');
  return { workflows, facts, inbox, deadLetters };
}

const group = (setup: Setup, name: string) => `${setup.prefix}${name}`;

describe.each([
  ['Kafka', kafka],
  ['the embedded broker', embedded],
])('SIGKILL mid-batch on %s', (_, make) => {
  it('redoes the open batch and ends with exactly the effects of an uninterrupted run', { timeout: 240_000 }, async () => {
    const setup = make();
    const stream = join(dir, 'stream.ndjson');
    const lines = Array.from({ length: N }, (_, i) => unresolved(`pkg-${i % 30}`, `1.${Math.floor((i % VERSIONS) / 30)}.${i % 30}`));
    writeFileSync(stream, `${lines.join('\n')}\n`);
    const reference = join(dir, 'reference.db');
    const killed = join(dir, 'killed.db');
    await setup.publish(stream, reference);
    // On Kafka both runs read the same topics (each in its group); the embedded log is in each cache.
    if (setup.prefix === '') await setup.publish(stream, killed);

    const investigate = (db: string, name: string, extra: string[]) => [
      ...setup.global(db),
      'investigate',
      '--workflows',
      'record',
      '--port',
      'none',
      '-o',
      'ndjson',
      '--group',
      group(setup, name),
      '--batch-max',
      String(BATCH),
      '--batch-ms',
      '60000',
      ...extra,
    ];

    // Killed three times, each while a batch holds handled records that are not committed.
    let handled = 0;
    for (let round = 0; round < 3; round++) {
      const run = startInvestigator(investigate(killed, 'killed', []), setup.env);
      const processed = () => run.events.filter((e) => e.event === 'processed').length;
      // Past the middle of a batch: some of its records handled, the batch still open.
      await waitFor(() => processed() >= BATCH / 2, `round ${round + 1} to handle records`, 120_000);
      run.child.kill('SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');
      handled += processed();
    }
    const last = startInvestigator(investigate(killed, 'killed', ['--until-idle', '3']), setup.env);
    expect((await last.exited).code, last.stderr()).toBe(0);
    const uninterrupted = startInvestigator(investigate(reference, 'reference', ['--until-idle', '3']), setup.env);
    expect((await uninterrupted.exited).code, uninterrupted.stderr()).toBe(0);

    const expected = await effects(setup, reference);
    expect(expected.workflows).toHaveLength(VERSIONS);
    expect(expected.inbox).toEqual([{ outcome: 'done', n: N }]);
    expect(await effects(setup, killed)).toEqual(expected);
    // Records handled before a kill whose batch was not committed were handled again, and counted once.
    handled += last.events.filter((e) => e.event === 'processed').length;
    expect(handled).toBeGreaterThan(N);
    if (setup.prefix === '') {
      // The knowledge topic of each cache: no fact record appended twice by a redone batch.
      const count = "SELECT count(*) AS n FROM log_records WHERE topic LIKE '%knowledge'";
      expect(await sql(setup, killed, count)).toEqual(await sql(setup, reference, count));
    }
  });
});
