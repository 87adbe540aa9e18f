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
 *   c. with KAFKA_BOOTSTRAP_SERVERS: the same on Kafka, `kcat -C -e` per
 *      topic (summed) as the raw-consume peer next to `thoth tail`; the
 *      idle wait is BENCH_KAFKA_IDLE_S (default 3 s: a group join can take
 *      longer than 1 s, and a run idle before it is assigned reads nothing).
 * Every run checks that it saw the N messages. Needs `npm run build` (dist/).
 *
 * The cache commits each message durably (WAL, synchronous=FULL), so on a
 * disk the figure is mostly fsync latency; TMPDIR=/dev/shm puts the caches
 * on tmpfs to see the CPU cost alone. The table says where they were.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, benchRuns, benchSize, kafkaBootstrap } from './common.mjs';

const N = benchSize(20000);
const RUNS = benchRuns(1);
const IDLE_S = 1;
// Joining a Kafka group can take longer than 1 s, and a run that goes idle before its partitions are assigned ends with nothing read.
const KAFKA_IDLE_S = Number(process.env.BENCH_KAFKA_IDLE_S ?? 3);
const INDEX = 'https://index.example/simple';
const SOLVER = 'solver-rhel-8-py38';
const bootstrap = kafkaBootstrap();
if (!Number.isInteger(N) || N < 2) {
  console.error(`N must be an integer of at least 2, got ${process.argv[2]}`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'thoth-bench-investigate-'));
const stream = join(dir, 'stream.ndjson');
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

function run(command, args, env = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  return { ms, stdout: result.stdout, stderr: result.stderr };
}

const thoth = (db, args, env = {}) => run(process.execPath, [BIN, '--quiet', '--db', db, ...args], { THOTH_HOME: dir, THOTH_INDEX_URLS: INDEX, ...env });
const lineCount = (text) => text.split('\n').filter(Boolean).length;

/** The count on the investigator's closing stderr line ("investigate: N message(s) received, ..."). */
function received(stderr) {
  const match = /investigate: (\d+) message\(s\) received/.exec(stderr);
  return match ? Number(match[1]) : NaN;
}

function check(label, seen) {
  if (seen !== N) throw new Error(`${label} saw ${seen} messages, expected ${N}`);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs `once` RUNS times, each with a fresh run number (for a fresh cache), and keeps the median. */
function measure(label, once) {
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(once(i));
  const ms = median(times);
  return { label, ms, rate: (N / ms) * 1000 };
}

const INVESTIGATE = ['investigate', '--workflows', 'record', '--namespace', 'thoth', '--port', 'none', '-o', 'text'];

const sections = [];
try {
  writeStream();

  const fromFile = (label, name, extra) =>
    measure(label, (i) => {
      const r = thoth(join(dir, `${name}-${i}.db`), [...INVESTIGATE, ...extra, '--from', stream]);
      check(`investigate --from ${extra.join(' ')}`, received(r.stderr));
      return r.ms;
    });
  sections.push({
    title: 'File, no broker',
    rows: [
      fromFile('thoth investigate --from FILE --workflows record', 'file', []),
      fromFile('the same, --no-schedule-security (no security-indicators decisions)', 'file-no-si', ['--no-schedule-security']),
      fromFile('the same, --mode metrics (no knowledge work: the pipeline alone)', 'file-metrics', ['--mode', 'metrics']),
    ],
  });

  {
    const rows = [];
    const dbOf = (i) => join(dir, `embedded-${i}.db`);
    for (let i = 0; i < RUNS; i++) thoth(dbOf(i), ['--broker', 'embedded', 'replay', stream]);
    rows.push(
      measure('thoth tail --all --from-beginning --exit-at-end -o ndjson (raw consume)', (i) => {
        const r = thoth(dbOf(i), ['--broker', 'embedded', 'tail', '--all', '--from-beginning', '--exit-at-end', '-o', 'ndjson']);
        check('tail', lineCount(r.stdout));
        return r.ms;
      }),
    );
    const embedded = (label, extra) =>
      measure(label, (i) => {
        const db = join(dir, `embedded-copy-${i}.db`);
        copyFileSync(dbOf(i), db);
        const r = thoth(db, ['--broker', 'embedded', ...INVESTIGATE, ...extra, '--until-idle', String(IDLE_S)]);
        check(`investigate (embedded) ${extra.join(' ')}`, received(r.stderr));
        rmSync(db, { force: true });
        return r.ms - IDLE_S * 1000;
      });
    rows.push(
      embedded(`thoth investigate --until-idle ${IDLE_S} (minus the ${IDLE_S} s idle wait)`, []),
      embedded('the same, --mode metrics (no knowledge work: the pipeline alone)', ['--mode', 'metrics']),
    );
    sections.push({ title: 'Embedded broker (SQLite log)', rows, raw: rows[0] });
  }

  if (bootstrap) {
    const rows = [];
    const deployments = [];
    for (let i = 0; i < RUNS; i++) {
      const deployment = `b${randomUUID().slice(0, 8)}`;
      deployments.push(deployment);
      thoth(join(dir, `kafka-replay-${i}.db`), ['--deployment-name', deployment, 'replay', stream], { KAFKA_BOOTSTRAP_SERVERS: bootstrap });
    }
    rows.push(
      measure('kcat -C -e, one run per topic, summed (raw consume)', (i) => {
        let ms = 0;
        let seen = 0;
        for (const topic of Object.values(TOPICS)) {
          const r = run('kcat', ['-C', '-b', bootstrap, '-t', `${deployments[i]}.${topic}`, '-o', 'beginning', '-e', '-q']);
          ms += r.ms;
          seen += lineCount(r.stdout);
        }
        check('kcat', seen);
        return ms;
      }),
    );
    rows.push(
      measure('thoth tail --all --from-beginning --exit-at-end -o ndjson', (i) => {
        const r = thoth(join(dir, `kafka-tail-${i}.db`), ['--deployment-name', deployments[i], 'tail', '--all', '--from-beginning', '--exit-at-end', '-o', 'ndjson'], { KAFKA_BOOTSTRAP_SERVERS: bootstrap });
        check('tail (Kafka)', lineCount(r.stdout));
        return r.ms;
      }),
    );
    rows.push(
      measure(`thoth investigate --until-idle ${KAFKA_IDLE_S} (minus the ${KAFKA_IDLE_S} s idle wait)`, (i) => {
        const r = thoth(join(dir, `kafka-investigate-${i}.db`), ['--deployment-name', deployments[i], ...INVESTIGATE, '--until-idle', String(KAFKA_IDLE_S), '--group', `bench-${deployments[i]}`], {
          KAFKA_BOOTSTRAP_SERVERS: bootstrap,
        });
        check('investigate (Kafka)', received(r.stderr));
        return r.ms - KAFKA_IDLE_S * 1000;
      }),
    );
    sections.push({ title: `Kafka at ${bootstrap}`, rows, raw: rows[0] });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`Investigator throughput: ${N} messages (unresolved-package and solved-package, ${N / 2} package versions), --workflows record, SQLite cache`);
console.log(`${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, Node ${process.version}; wall time with process start, median of ${RUNS} run(s); caches in ${tmpdir()}${bootstrap ? '' : '; Kafka skipped (KAFKA_BOOTSTRAP_SERVERS not set)'}\n`);
console.log('| broker | run | wall time (ms) | messages/s | throughput vs raw consume |');
console.log('|---|---|---:|---:|---:|');
for (const section of sections) {
  for (const row of section.rows) {
    const ratio = section.raw ? `${(row.rate / section.raw.rate).toFixed(2)}x` : '-';
    console.log(`| ${section.title} | ${row.label} | ${row.ms.toFixed(0)} | ${row.rate.toFixed(0)} | ${ratio} |`);
  }
}
