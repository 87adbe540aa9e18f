/**
 * Batches and crashes: the investigator is SIGKILLed while batches are open
 * (handled records whose batch is not committed yet), restarted, killed
 * again, and finally run to the end. Its effects must equal those of one
 * uninterrupted run of the same stream on a deployment of its own (its own
 * topics, knowledge topic included, and cache): the same workflows, the same
 * facts, the same follow-ups published, the same dead letters, every message
 * handled once, and (on the embedded broker, where the knowledge topic is a
 * table) not one fact record written twice. On Kafka and on the embedded
 * broker.
 *
 * "Handled once": every message of these streams leaves a fact or a dead
 * letter, compared above, and the cache's inbox is the same too: on the
 * embedded broker it is written in one transaction with the group's offset;
 * on Kafka, where the broker commits a batch before the cache does, a process
 * killed between the two commits leaves the batch's inbox rows in its journal
 * (src/transport/batch-journal.ts), kept when the partition starts again.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** A deployment of its own on the test broker: its own topics, groups and knowledge topic. */
function kafka(): Setup {
  const env = kafkaEnv();
  return {
    env,
    global: (db) => ['--db', db],
    publish: async (stream) => replayLines(stream, env, join(dir, `replay-${Math.random()}.db`)),
    prefix: `${env.THOTH_DEPLOYMENT_NAME}.`,
  };
}

/** The embedded broker: the log is in each cache. */
function embedded(): Setup {
  const env = cleanEnv({ THOTH_INDEX_URLS: INDEX, THOTH_HOME: dir });
  return {
    env,
    global: (db) => ['--db', db, '--broker', 'embedded'],
    publish: async (stream, db) => {
      const result = await runThoth(['--db', db, '--broker', 'embedded', 'replay', '--include-invalid', stream], { env });
      if (result.code !== 0) throw new Error(`replay failed: ${result.stderr}`);
    },
    prefix: '',
  };
}

async function thoth(setup: Setup, db: string, args: string[]): Promise<string> {
  const result = await runThoth([...setup.global(db), ...args], { env: setup.env });
  if (result.code !== 0) throw new Error(`thoth ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

const sql = async (setup: Setup, db: string, query: string) =>
  JSON.parse(await thoth(setup, db, ['query', 'sql', query, '-o', 'json'])) as Array<Record<string, unknown>>;

/**
 * A fact's value without the times it was written at (each run writes its own), nor the record a workflow came
 * from: a decision's trigger is at another offset of the decisions topic in each run (a restarted run may write a
 * pending decision's trigger again).
 */
function timeless(value: string): string {
  const parsed = JSON.parse(value) as Record<string, unknown>;
  for (const name of Object.keys(parsed)) if (name === 'at' || name.endsWith('_at') || name === 'source') delete parsed[name];
  return JSON.stringify(parsed);
}

const group = (setup: Setup, name: string) => `${setup.prefix}${name}`;

/** What a run leaves behind, with the deployment prefix taken out of topic names. */
async function effects(setup: Setup, db: string) {
  const strip = (text: unknown) => String(text).split(setup.prefix).join('');
  const workflows = await sql(setup, db, 'SELECT name, kind, parameters, status FROM workflows ORDER BY name');
  const facts = (await sql(setup, db, 'SELECT key, value FROM facts'))
    .map((r) => strip(`${String(r.key)} ${timeless(String(r.value))}`))
    .sort();
  const inbox = (
    await sql(setup, db, "SELECT topic, outcome, count(*) AS n FROM inbox WHERE topic NOT LIKE '%decisions' GROUP BY topic, outcome")
  )
    .map((r) => `${strip(r.topic)} ${String(r.outcome)} ${String(r.n)}`)
    .sort();
  const deadLetters = (await sql(setup, db, 'SELECT topic, "offset", error_class FROM dead_letters'))
    .map((r) => `${strip(r.topic)}@${String(r.offset)} ${String(r.error_class)}`)
    .sort();
  // Follow-ups as a reader of the topic sees them (read_committed on Kafka: an aborted transaction's are not there).
  const reRuns = (await thoth(setup, db, ['tail', 'adviser-re-run', '--from-beginning', '--exit-at-end', '-o', 'ndjson']))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.stringify((JSON.parse(line) as { value: unknown }).value))
    .sort();
  return { workflows, facts, inbox, deadLetters, reRuns };
}

/** The run's effects equal the uninterrupted run's (`expected`), and every message was handled once (see above). */
async function sameEffects(killed: { setup: Setup; db: string }, expected: Awaited<ReturnType<typeof effects>>) {
  expect(await effects(killed.setup, killed.db)).toEqual(expected);
}

const investigate = (setup: Setup, db: string, name: string, extra: string[]) => [
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

/** A batch of the cache at `db` is being committed on Kafka: its journal file holds the batch's inbox rows. */
function committing(db: string): boolean {
  const journal = `${db}-batches`;
  return existsSync(journal) && readdirSync(journal).some((file) => statSync(join(journal, file)).size > 0);
}

/**
 * The stream, phase after phase, through a run killed `kills` times a phase (each while a batch holds handled
 * records that are not committed; on Kafka every other one while that batch is being committed) and then run until
 * idle, and through an uninterrupted run of a deployment and cache of their own. Returns both setups and caches, and
 * how many records the killed runs handled in all.
 */
async function killedAndUninterrupted(make: () => Setup, phases: string[][], kills: number) {
  const killed = { setup: make(), db: join(dir, 'killed.db') };
  const reference = { setup: make(), db: join(dir, 'reference.db') };
  let handled = 0;
  for (const [index, lines] of phases.entries()) {
    const stream = join(dir, `phase-${index + 1}.ndjson`);
    writeFileSync(stream, `${lines.join('\n')}\n`);
    await killed.setup.publish(stream, killed.db);
    await reference.setup.publish(stream, reference.db);
    for (let round = 0; round < kills; round++) {
      const run = startInvestigator(investigate(killed.setup, killed.db, 'killed', []), killed.setup.env);
      const processed = () => run.events.filter((e) => e.event === 'processed').length;
      // Past the middle of a batch: some of its records handled, the batch still open.
      await waitFor(() => processed() >= BATCH / 2, `phase ${index + 1}, round ${round + 1} to handle records`, 120_000);
      // On Kafka every other kill comes while a batch is being committed: from before the broker's commit to after the
      // cache's, the batch's journal holds its inbox rows (src/transport/batch-journal.ts). Such a kill mostly lands
      // before the broker has answered; the death between the two commits is put exactly in
      // test/transport/kafka-batch-journal.int.test.ts.
      if (killed.setup.prefix !== '' && round % 2 === 1) await waitFor(() => committing(killed.db), 'a batch being committed', 120_000);
      run.child.kill('SIGKILL');
      expect((await run.exited).signal).toBe('SIGKILL');
      handled += processed();
    }
    const last = startInvestigator(investigate(killed.setup, killed.db, 'killed', ['--until-idle', '3']), killed.setup.env);
    expect((await last.exited).code, last.stderr()).toBe(0);
    handled += last.events.filter((e) => e.event === 'processed').length;
    const uninterrupted = startInvestigator(
      investigate(reference.setup, reference.db, 'reference', ['--until-idle', '3']),
      reference.setup.env,
    );
    expect((await uninterrupted.exited).code, uninterrupted.stderr()).toBe(0);
  }
  return { killed, reference, handled };
}

/** One message line with headers of its own. */
function line(topic: string, key: string, value: Record<string, unknown>, headers: Record<string, string> = {}): string {
  return JSON.stringify({
    topic,
    key,
    headers,
    value: { component_name: 'test', service_version: '1.0.0', version: 'v1', index_url: INDEX, ...value },
    timestamp: 1700000000000,
  });
}

/** The lines in an order of their own that every run replays alike (a fixed shuffle). */
function shuffled(lines: string[]): string[] {
  const out = [...lines];
  let seed = 7;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const ADVICE_VERSIONS = 240;
const ADVISERS = 40;
const OTHERS = 50;

/**
 * Every kind of effect, in two phases whose outcome does not hang on how the topics interleave (each message
 * type is about versions of its own, and what completes a decision comes in the second phase):
 *   1. requests that advice runs wait on (solver workflows), hash mismatches, missing versions, CVE notices,
 *      source-distribution flags, si-unanalyzed-package (security-indicator decisions and their workflows);
 *   2. the solver results: security-indicator decisions, and every advice run's re-run published once its
 *      versions are solved (and the adviser workflow each re-run asks for); three solver results without a
 *      version, dead-lettered.
 */
function everyEffectPhases(): string[][] {
  const advised = Array.from({ length: ADVICE_VERSIONS }, (_, i) => ({ name: `adv-${i % 30}`, version: `1.${Math.floor(i / 30)}.0` }));
  const other = (prefix: string) => Array.from({ length: OTHERS }, (_, i) => ({ name: `${prefix}-${i}`, version: '1.0.0' }));
  const solver = 'solver-rhel-8-py38';
  const first = [
    ...advised.map((v, i) =>
      line(
        'thoth.investigator.unresolved-package',
        `${v.name}==${v.version}`,
        { package_name: v.name, package_version: v.version, solver },
        { 'thoth-adviser-id': `adviser-${i % ADVISERS}`, 'thoth-recommendation-type': 'stable' },
      ),
    ),
    ...other('hm').map((v) =>
      line('thoth.package-update.hash-mismatch', `${v.name}==${v.version}`, {
        package_name: v.name,
        package_version: v.version,
        missing_from_source: [`sha256:${'0'.repeat(64)}`],
        missing_from_database: [],
      }),
    ),
    ...other('mpv').map((v) =>
      line('thoth.package-update.missing-package-version', `${v.name}==${v.version}`, { package_name: v.name, package_version: v.version }),
    ),
    ...other('cve').map((v) =>
      line('thoth.cve-update.cve-provided', `${v.name}==${v.version}`, { package_name: v.name, package_version: v.version }),
    ),
    ...other('sd').map((v, i) =>
      line('thoth.update-provides-source-distro', `${v.name}==${v.version}`, {
        package_name: v.name,
        package_version: v.version,
        value: i % 2 === 0,
      }),
    ),
    ...other('si').map((v) =>
      line('thoth.investigator.si-unanalyzed-package', `${v.name}==${v.version}`, { package_name: v.name, package_version: v.version }),
    ),
  ];
  const second = [
    ...advised.map((v) =>
      line('thoth.solver.solved-package', `${v.name}==${v.version}`, { package_name: v.name, package_version: v.version, solver }),
    ),
    ...[0, 1, 2].map((i) => line('thoth.solver.solved-package', `bad-${i}`, { package_name: `bad-${i}`, solver })),
  ];
  return [shuffled(first), shuffled(second)];
}

describe.each([
  ['Kafka', kafka],
  ['the embedded broker', embedded],
])('SIGKILL mid-batch on %s', (_, make) => {
  it('redoes the open batch and ends with exactly the effects of an uninterrupted run', { timeout: 240_000 }, async () => {
    const lines = Array.from({ length: N }, (_, i) => unresolved(`pkg-${i % 30}`, `1.${Math.floor((i % VERSIONS) / 30)}.${i % 30}`));
    const { killed, reference, handled } = await killedAndUninterrupted(make, [lines], 3);

    const expected = await effects(reference.setup, reference.db);
    expect(expected.workflows).toHaveLength(VERSIONS);
    expect(expected.inbox).toEqual([`thoth.investigator.unresolved-package done ${N}`]);
    await sameEffects(killed, expected);
    // Records handled before a kill whose batch was not committed were handled again, and counted once.
    expect(handled).toBeGreaterThan(N);
    if (killed.setup.prefix === '') {
      // The knowledge topic of each cache: no fact record appended twice by a redone batch.
      const count = "SELECT count(*) AS n FROM log_records WHERE topic LIKE '%knowledge'";
      expect(await sql(killed.setup, killed.db, count)).toEqual(await sql(reference.setup, reference.db, count));
    }
  });

  it('with every kind of effect: workflows, decisions, follow-ups, dead letters', { timeout: 360_000 }, async () => {
    const phases = everyEffectPhases();
    const { killed, reference } = await killedAndUninterrupted(make, phases, 2);

    const expected = await effects(reference.setup, reference.db);
    // What the stream is for: each kind of effect is there to compare.
    const kinds = new Set(expected.workflows.map((w) => w.kind));
    expect([...kinds].sort()).toEqual(['adviser', 'security-indicators', 'solver']);
    expect(expected.reRuns).toHaveLength(ADVISERS);
    expect(expected.deadLetters).toHaveLength(3);
    expect(expected.facts.filter((f) => f.startsWith('["hash"'))).toHaveLength(OTHERS);
    await sameEffects(killed, expected);
    if (killed.setup.prefix === '') {
      const count = "SELECT count(*) AS n FROM log_records WHERE topic LIKE '%knowledge'";
      expect(await sql(killed.setup, killed.db, count)).toEqual(await sql(reference.setup, reference.db, count));
    }
  });
});
