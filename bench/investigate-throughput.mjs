#!/usr/bin/env node
/**
 * Investigator throughput (SPEC §8): messages/s of `thoth investigate
 * --workflows record` on a real SQLite cache, and its ratio to raw consume
 * of the same stream on the same broker in the same run.
 *
 *   node bench/investigate-throughput.mjs [N]            # file and embedded broker
 *   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 node bench/investigate-throughput.mjs [N]   # and Kafka
 *
 * The stream: N messages, alternately unresolved-package and solved-package
 * for N/2 distinct package versions (500 package names), so that nearly every
 * message records knowledge and schedules workflows (solver workflows for
 * each unresolved version, security-indicators for each solved one).
 *
 * Measured, wall time with process start, median of BENCH_RUNS (default 1)
 * runs, each on a fresh cache:
 *   a. `investigate --from FILE --workflows record` (no broker at all), and
 *      where its time goes: the same without security-indicators decisions
 *      (`--no-schedule-security`: no decision triggers, half the workflows)
 *      and with no knowledge work at all (`--mode metrics`: each message
 *      read, checked and counted; the pipeline alone);
 *   b. embedded broker: `replay` the stream (not timed), then raw consume
 *      `tail --all --from-beginning --exit-at-end -o ndjson`, then
 *      `investigate --until-idle 1` minus the 1 s idle wait, and the same
 *      with `--mode metrics` (each on a copy of the replayed cache: the
 *      cache's inbox would skip what a run before handled);
 *   b'. the floor under the cache as it is, against the same raw consume:
 *      the rows the `--from` run of (a) left, written again into an empty
 *      cache with thoth's schema and settings in as many transactions as
 *      the stream makes batches, nothing read or decided (in this process:
 *      no start-up; no foreign-key checks, as a table's rows may come a
 *      transaction before those they refer to); the same without secondary
 *      indexes, in key order, in key order in one transaction; and its facts
 *      alone as a log without an index;
 *   c. with KAFKA_BOOTSTRAP_SERVERS: the same on Kafka, raw consume being
 *      `thoth tail` as on the embedded broker (issue 15 measures against
 *      it), with kcat beside it as a peer: one balanced consumer over the
 *      same topics (`kcat -G GROUP -e TOPIC...`; until 2026-12-06 this was
 *      one `kcat -C -e` per topic, summed, and the ratios were of that: one
 *      process's start and end detection, some 0.5 s, per topic; a broker
 *      with group.initial.rebalance.delay.ms, 3 s by default, makes kcat's
 *      group wait that long: scripts/kafka.mjs starts one with 0); the
 *      idle wait is BENCH_KAFKA_IDLE_S (default 3 s: a group join can take
 *      longer than 1 s, and a run idle before it is assigned reads nothing).
 * Every run checks that it saw the N messages. Needs `npm run build` (dist/).
 *
 * A recorded stream of your own instead of the generated one (any message types, bad lines too):
 *   BENCH_STREAM=incident.ndjson node bench/investigate-throughput.mjs
 * or one of every message type, generated (bench/mixed-stream.mjs):
 *   node bench/mixed-stream.mjs 20000 > mixed.ndjson && BENCH_STREAM=mixed.ndjson node bench/investigate-throughput.mjs
 * Then each run's rate is what it saw over its time: raw consume reads the topics replay wrote to
 * (`tail TOPIC...`, kcat) and must see every message replay sent (invalid bodies too: replay sends them
 * as recorded, `--include-invalid`, and the investigator dead-letters them); `--from` reads every line
 * that is a record; the investigator on a broker reads the topics of its modes (middletier and
 * backend by default).
 *
 * The cache commits each message durably (WAL, synchronous=FULL), so on a
 * disk the figure is mostly fsync latency; TMPDIR=/dev/shm puts the caches
 * on tmpfs to see the CPU cost alone. The table says where they were.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openDatabase } from '../dist/src/store/open.js';
import { DEFAULT_BATCH } from '../dist/src/transport/batch.js';
import { BIN, benchRuns, benchSize, kafkaBootstrap } from './common.mjs';

/** A recorded stream to measure instead of the generated one (BENCH_STREAM). */
const GIVEN = process.env.BENCH_STREAM ? resolve(process.env.BENCH_STREAM) : undefined;
const N = GIVEN ? 0 : benchSize(20000);
const RUNS = benchRuns(1);
const IDLE_S = 1;
// Joining a Kafka group can take longer than 1 s, and a run that goes idle before its partitions are assigned ends with nothing read.
const KAFKA_IDLE_S = Number(process.env.BENCH_KAFKA_IDLE_S ?? 3);
const INDEX = 'https://index.example/simple';
const SOLVER = 'solver-rhel-8-py38';
const bootstrap = kafkaBootstrap();
if (!GIVEN && (!Number.isInteger(N) || N < 2)) {
  console.error(`N must be an integer of at least 2, got ${process.argv[2]}`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'thoth-bench-investigate-'));
const stream = GIVEN ?? join(dir, 'stream.ndjson');
const TOPICS = { unresolved: 'thoth.investigator.unresolved-package', solved: 'thoth.solver.solved-package' };

function writeStream() {
  const lines = [];
  for (let i = 0; i < N; i++) {
    const k = Math.floor(i / 2);
    const name = `package-${k % 500}`;
    const version = `${1 + Math.floor(k / 500)}.${k % 500}.0`;
    const solved = i % 2 === 1;
    const value = solved
      ? { component_name: 'solver', service_version: '0.1.0', version: 'v1', package_name: name, package_version: version, index_url: INDEX, solver: SOLVER }
      : { component_name: 'bench', service_version: '0.1.0', version: 'v1', package_name: name, package_version: version, index_url: INDEX, solver: SOLVER };
    lines.push(JSON.stringify({ topic: solved ? TOPICS.solved : TOPICS.unresolved, key: `${name}==${version}`, headers: {}, value, timestamp: 1_700_000_000_000 + i }));
  }
  writeFileSync(stream, `${lines.join('\n')}\n`);
}

function run(command, args, env = {}, success = [0]) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!success.includes(result.status)) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  return { ms, stdout: result.stdout, stderr: result.stderr };
}

const thoth = (db, args, env = {}, success = [0]) =>
  run(process.execPath, [BIN, '--quiet', '--db', db, ...args], { THOTH_HOME: dir, THOTH_INDEX_URLS: INDEX, ...env }, success);
const lineCount = (text) => text.split('\n').filter(Boolean).length;

/**
 * The investigator's closing stderr line ("investigate: N message(s) received, ...; M follow-up(s) published"): what it
 * received of the stream, and how many of those were its own follow-ups read back (an adviser-re-run it published,
 * which `--from` and a broker it subscribes to hand it again). At most `published` of them: the count is a range.
 */
function received(stderr) {
  const match = /investigate: (\d+) message\(s\) received/.exec(stderr);
  const published = /(\d+) follow-up\(s\) published/.exec(stderr);
  return { seen: match ? Number(match[1]) : NaN, ownFollowUps: published ? Number(published[1]) : 0 };
}

/** What replay sent of the stream (its -o json summary): every message, and per topic. */
let replayed;

/**
 * Checks a run saw what it must and returns how many messages of the stream it saw: N of the generated stream
 * everywhere; of a given one, what `expected` names (`read`: every record of the file; `sent`: every message replay
 * sent), or without it (the investigator on a broker, which reads the topics of its modes only) at least one and at
 * most what was sent; an investigator may also have read back up to `ownFollowUps` of its own follow-ups, which are
 * not the stream's.
 */
function check(label, seen, expected, ownFollowUps = 0) {
  const wanted = !GIVEN ? N : expected === 'read' ? replayed.read : expected === 'sent' ? replayed.sent : undefined;
  const ok = wanted !== undefined ? seen >= wanted && seen <= wanted + ownFollowUps : seen > 0 && seen <= replayed.sent + ownFollowUps;
  if (!ok) {
    const range = (low, high) => (low === high ? `${low}` : `${low} to ${high}`);
    throw new Error(`${label} saw ${seen} messages, expected ${wanted !== undefined ? range(wanted, wanted + ownFollowUps) : range(1, replayed.sent + ownFollowUps)}`);
  }
  return wanted ?? Math.min(seen, replayed.sent);
}

/** `check` of an investigator run, by its closing stderr line. */
function checkInvestigator(label, stderr, expected) {
  const { seen, ownFollowUps } = received(stderr);
  return check(label, seen, expected, ownFollowUps);
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs `once` RUNS times, each with a fresh run number (for a fresh cache), and keeps the median; `once` gives its time and the messages it saw. */
function measure(label, once) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(once(i));
  const ms = median(runs.map((r) => r.ms));
  const seen = runs[0].seen;
  return { label, ms, seen, rate: (seen / ms) * 1000 };
}

/** replay's summary (-o json): what it read, sent, and sent per topic. */
function replaySummary(stdout) {
  const summary = JSON.parse(stdout);
  return { read: summary.read, sent: summary.sent, topics: Object.keys(summary.topics) };
}

const INVESTIGATE = ['investigate', '--workflows', 'record', '--namespace', 'thoth', '--port', 'none', '-o', 'text'];
// A given stream may hold bodies the investigator dead-letters: a --from run then exits 1 unless told they are expected.
const FROM_FILE = GIVEN ? ['--allow-dead-letters'] : [];
/**
 * Replays the stream (not timed) and returns its summary. A given stream's invalid bodies are sent as recorded, as a
 * broker would carry them from a faulty producer (the investigator dead-letters them, as `--from` does); its lines that
 * are no record at all are skipped, which replay reports with exit 1.
 */
function replay(db, args, env = {}) {
  const r = thoth(db, [...args, 'replay', stream, '-o', 'json', ...(GIVEN ? ['--include-invalid'] : [])], env, GIVEN ? [0, 1] : [0]);
  return replaySummary(r.stdout);
}

/** The transactions `messages` make, one per --batch-max of them (the default). */
const batchesOf = (messages) => Math.max(1, Math.ceil(messages / DEFAULT_BATCH.maxRecords));

/** The tables whose rows a run of the investigator leaves: the knowledge and what it read. */
const CACHE_TABLES = ['facts', 'package_versions', 'solver_results', 'unresolved_requests', 'hashes', 'cve_notices', 'advice_runs', 'advice_waits', 'workflows', 'inbox'];

/**
 * The floor under the cache as it is: the rows a `--from` run left in `source`, written again into an empty cache
 * (thoth's own schema and settings: openDatabase) with nothing read, parsed or decided, split into as many
 * transactions as the run's messages make batches of --batch-max. Timed in this process (no process start).
 * `shape` says how else they are written, to show what the floor is made of:
 *   log        only its facts (key and value), into one table without an index: what a fact log would write in the path;
 *   bare       without the tables' secondary indexes (their own keys stay): what the indexes cost;
 *   sorted     each table's rows in the order of its key (as a projector sorting what it catches up on would write);
 *   sorted-one the same in one transaction (a projector catching up on the whole run at once).
 */
function writeFloor(source, target, messages, shape = 'as-is') {
  const log = shape === 'log';
  const from = new Database(source, { readonly: true });
  const tables = (log ? ['facts'] : CACHE_TABLES).map((table) => {
    const statement = from.prepare(log ? 'SELECT key, value FROM facts' : `SELECT * FROM ${table}`);
    const rows = statement.raw().all();
    // Each table's first column is its key (or the first column of it).
    if (shape.startsWith('sorted')) rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { table, columns: statement.columns().map((c) => `"${c.name}"`), rows };
  });
  from.close();
  const db = openDatabase(target, { create: true });
  // Each table's rows are split into the same number of shares on their own, so a row may come a transaction before the
  // one it refers to (a solver result before its version, in a stream of many types): the floor is written without the
  // foreign-key checks (a lookup of the parent's key a row).
  db.pragma('foreign_keys = OFF');
  if (log) db.exec('CREATE TABLE fact_log (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT NOT NULL)');
  if (shape === 'bare')
    for (const { name } of db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`).all()) db.exec(`DROP INDEX "${name}"`);
  const inserts = tables.map(({ table, columns, rows }) => ({
    rows,
    insert: db.prepare(`INSERT INTO ${log ? 'fact_log (key, value)' : `${table} (${columns.join(', ')})`} VALUES (${columns.map(() => '?').join(', ')})`),
  }));
  const batches = shape === 'sorted-one' ? 1 : batchesOf(messages);
  const started = process.hrtime.bigint();
  for (let b = 0; b < batches; b++) {
    db.transaction(() => {
      for (const { rows, insert } of inserts) {
        const share = Math.ceil(rows.length / batches);
        for (const row of rows.slice(b * share, (b + 1) * share)) insert.run(row);
      }
    }).immediate();
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  db.close();
  return ms;
}

const LOGIC_FLOOR = fileURLToPath(new URL('./logic-floor.mjs', import.meta.url));

/** The logic floor does the investigator's work: on the generated stream it writes the very facts the --from run wrote. */
function sameFacts(investigated, floor) {
  const keys = (file, sql) => {
    const db = new Database(file, { readonly: true });
    const all = new Set(db.prepare(sql).pluck().all());
    db.close();
    return all;
  };
  const want = keys(investigated, 'SELECT key FROM facts');
  const got = keys(floor, 'SELECT key FROM fact_log');
  const missing = [...want].filter((key) => !got.has(key));
  const extra = [...got].filter((key) => !want.has(key));
  if (missing.length > 0 || extra.length > 0)
    throw new Error(`the logic floor wrote other facts than the investigator: ${missing.length} missing (${missing[0] ?? '-'}), ${extra.length} more (${extra[0] ?? '-'})`);
}
/** Records of the stream whose logic asks the cache what the logic floor does not model (left out of its rows). */
let unmodelled = 0;

const sections = [];
try {
  if (!GIVEN) writeStream();
  const embeddedDb = (i) => join(dir, `embedded-${i}.db`);
  // Replayed first (not timed): a given stream's counts are what replay sent.
  for (let i = 0; i < RUNS; i++) replayed = replay(embeddedDb(i), ['--broker', 'embedded']);

  const fromFile = (label, name, extra) =>
    measure(label, (i) => {
      const r = thoth(join(dir, `${name}-${i}.db`), [...INVESTIGATE, ...FROM_FILE, ...extra, '--from', stream]);
      return { ms: r.ms, seen: checkInvestigator(`investigate --from ${extra.join(' ')}`, r.stderr, 'read') };
    });
  sections.push({
    title: 'File, no broker',
    rows: [
      fromFile('thoth investigate --from FILE --workflows record', 'file', []),
      fromFile('the same, --no-schedule-security (no security-indicators decisions)', 'file-no-si', ['--no-schedule-security']),
      fromFile('the same, --mode metrics (no knowledge work: the pipeline alone)', 'file-metrics', ['--mode', 'metrics']),
    ],
  });
  // The messages the --from run read: the generated N, or every record of a given stream.
  const messages = GIVEN ? replayed.read : N;
  const floorRow = (label, shape) =>
    measure(label, (i) => ({ ms: writeFloor(join(dir, `file-${i}.db`), join(dir, `floor-${shape}-${i}.db`), messages, shape), seen: messages }));
  const floor = [
    floorRow(`floor: the rows the --from run left, written again in ${plural(batchesOf(messages), 'transaction')}, nothing read or decided (in-process)`, 'as-is'),
    floorRow("the same without the tables' secondary indexes (their own keys stay)", 'bare'),
    floorRow("the same rows with every index, each table's in the order of its key", 'sorted'),
    floorRow('the same, sorted, in one transaction', 'sorted-one'),
    floorRow('floor: only its facts, as a log without an index (in-process)', 'log'),
  ];

  {
    const rows = [];
    // The generated stream's two topics are read as --all (the earlier tables' row); a given stream's by name.
    const tailed = GIVEN ? replayed.topics : ['--all'];
    rows.push(
      measure(`thoth tail ${GIVEN ? 'TOPIC...' : '--all'} --from-beginning --exit-at-end -o ndjson (raw consume)`, (i) => {
        const r = thoth(embeddedDb(i), ['--broker', 'embedded', 'tail', ...tailed, '--from-beginning', '--exit-at-end', '-o', 'ndjson']);
        return { ms: r.ms, seen: check('tail', lineCount(r.stdout), 'sent') };
      }),
    );
    const embedded = (label, extra) =>
      measure(label, (i) => {
        const db = join(dir, `embedded-copy-${i}.db`);
        copyFileSync(embeddedDb(i), db);
        const r = thoth(db, ['--broker', 'embedded', ...INVESTIGATE, ...extra, '--until-idle', String(IDLE_S)]);
        const seen = checkInvestigator(`investigate (embedded) ${extra.join(' ')}`, r.stderr);
        rmSync(db, { force: true });
        return { ms: r.ms - IDLE_S * 1000, seen };
      });
    rows.push(
      embedded(`thoth investigate --until-idle ${IDLE_S} (minus the ${IDLE_S} s idle wait)`, []),
      embedded('the same, --mode metrics (no knowledge work: the pipeline alone)', ['--mode', 'metrics']),
    );
    sections.push({ title: 'Embedded broker (SQLite log)', rows, raw: rows[0] });
    // Against the same raw consume: what the cache's writes alone leave of the budget of half of it.
    sections.push({ title: 'Cache writes alone', rows: floor, raw: rows[0] });
    // And what the per-message logic alone leaves of it, with neither the cache's tables nor the pipeline.
    const logic = (label, extra) =>
      measure(label, (i) => {
        const target = join(dir, `logic-${extra.join('-') || 'log'}-${i}.db`);
        const r = run(process.execPath, [LOGIC_FLOOR, embeddedDb(i), target, String(DEFAULT_BATCH.maxRecords), ...extra], { THOTH_HOME: dir, THOTH_INDEX_URLS: INDEX });
        const result = JSON.parse(r.stdout);
        unmodelled = result.unmodelled;
        if (!GIVEN && extra.length === 0) sameFacts(join(dir, `file-${i}.db`), target);
        // It reads the topics of the investigator's modes, as the investigator on a broker does.
        return { ms: result.ms, seen: check('the logic floor', result.seen + result.unmodelled) - result.unmodelled };
      });
    sections.push({
      title: 'Per-message logic alone',
      rows: [
        logic(
          `floor: thoth's decoder, handlers, facts, workflow records and security-indicators decisions in one loop (bench/logic-floor.mjs), reads from memory, a fact log, inbox rows and offsets written in ${plural(batchesOf(messages), 'transaction')} (its own process, the loop alone)`,
          [],
        ),
        logic('the same, nothing written (the facts still encoded)', ['no-writes']),
      ],
      raw: rows[0],
    });
  }

  if (bootstrap) {
    const rows = [];
    const deployments = [];
    /** Per run, the topics replay wrote to (deployment-prefixed). */
    const written = [];
    for (let i = 0; i < RUNS; i++) {
      const deployment = `b${randomUUID().slice(0, 8)}`;
      deployments.push(deployment);
      written.push(replay(join(dir, `kafka-replay-${i}.db`), ['--deployment-name', deployment], { KAFKA_BOOTSTRAP_SERVERS: bootstrap }).topics);
    }
    rows.push(
      measure(`thoth tail ${GIVEN ? 'TOPIC...' : '--all'} --from-beginning --exit-at-end -o ndjson (raw consume)`, (i) => {
        const topics = GIVEN ? written[i] : ['--all'];
        const r = thoth(join(dir, `kafka-tail-${i}.db`), ['--deployment-name', deployments[i], 'tail', ...topics, '--from-beginning', '--exit-at-end', '-o', 'ndjson'], { KAFKA_BOOTSTRAP_SERVERS: bootstrap });
        return { ms: r.ms, seen: check('tail (Kafka)', lineCount(r.stdout), 'sent') };
      }),
    );
    rows.push(
      measure('kcat -G GROUP -e TOPIC... (one balanced consumer, the same topics)', (i) => {
        const r = run('kcat', ['-b', bootstrap, '-G', `bench-kcat-${deployments[i]}`, '-X', 'auto.offset.reset=earliest', '-e', '-q', ...written[i]]);
        return { ms: r.ms, seen: check('kcat', lineCount(r.stdout), 'sent') };
      }),
    );
    rows.push(
      measure(`thoth investigate --until-idle ${KAFKA_IDLE_S} (minus the ${KAFKA_IDLE_S} s idle wait)`, (i) => {
        const r = thoth(join(dir, `kafka-investigate-${i}.db`), ['--deployment-name', deployments[i], ...INVESTIGATE, '--until-idle', String(KAFKA_IDLE_S), '--group', `bench-${deployments[i]}`], {
          KAFKA_BOOTSTRAP_SERVERS: bootstrap,
        });
        return { ms: r.ms - KAFKA_IDLE_S * 1000, seen: checkInvestigator('investigate (Kafka)', r.stderr) };
      }),
    );
    sections.push({ title: `Kafka at ${bootstrap}`, rows, raw: rows[0] });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  GIVEN
    ? `Investigator throughput: ${GIVEN} (${replayed.read} records, ${replayed.sent} of them sent by replay), --workflows record, SQLite cache; messages/s from what each run saw`
    : `Investigator throughput: ${N} messages (unresolved-package and solved-package, ${N / 2} package versions), --workflows record, SQLite cache`,
);
console.log(`${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, Node ${process.version}; wall time with process start, median of ${RUNS} run(s); caches in ${tmpdir()}${bootstrap ? '' : '; Kafka skipped (KAFKA_BOOTSTRAP_SERVERS not set)'}\n`);
console.log(`| broker | run |${GIVEN ? ' messages |' : ''} wall time (ms) | messages/s | throughput vs raw consume |`);
console.log(`|---|---|${GIVEN ? '---:|' : ''}---:|---:|---:|`);
if (unmodelled > 0)
  console.log(
    `The logic floor left out ${plural(unmodelled, 'record')} whose handling asks the cache what its memory does not model (see bench/logic-floor.mjs).\n`,
  );
for (const section of sections) {
  for (const row of section.rows) {
    const ratio = section.raw ? `${(row.rate / section.raw.rate).toFixed(2)}x` : '-';
    console.log(`| ${section.title} | ${row.label} |${GIVEN ? ` ${row.seen} |` : ''} ${row.ms.toFixed(0)} | ${row.rate.toFixed(0)} | ${ratio} |`);
  }
}
