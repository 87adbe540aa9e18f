#!/usr/bin/env node
/**
 * Publish throughput: `thoth replay` of N recorded messages against `kcat -P`
 * of the same keys and payloads, on the same Kafka broker in the same run
 * (SPEC §8), with each compression codec (`thoth -z C` against `kcat -z C`).
 * Also `thoth replay` into the embedded broker, for reference.
 * Each figure is the median wall time of RUNS runs, process start included.
 *
 *   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 [BENCH_CODECS=none,zstd] node bench/publish-vs-kcat.mjs [N]
 *
 * Needs `npm run build` (dist/) and kcat on PATH. Prints a markdown table.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, benchCodecs, benchRuns, benchSize, requireKafka } from './common.mjs';

const { pythonJson } = await import(new URL('../dist/src/messages/wire-json.js', import.meta.url).href);
const N = benchSize(20000);
const RUNS = benchRuns(3);
const bootstrap = requireKafka();

const dir = mkdtempSync(join(tmpdir(), 'thoth-bench-'));
const BASE = 'thoth.solver.solved-package';
const solvers = ['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310'];

/** The same N messages as a §7 stream (for thoth) and as key<TAB>payload lines (for kcat). */
function writeStreams() {
  const envelopes = [];
  const kcatLines = [];
  for (let i = 0; i < N; i++) {
    const version = `${Math.floor(i / 100)}.${i % 100}.0`;
    const value = {
      component_name: 'solver',
      service_version: '0.1.0',
      version: 'v1',
      package_name: `package-${i % 500}`,
      package_version: version,
      index_url: 'https://index.example/simple',
      solver: solvers[i % 3],
    };
    const key = `package-${i % 500}==${version}`;
    envelopes.push(JSON.stringify({ topic: BASE, key, headers: {}, value, timestamp: 1638007200000 + i }));
    // thoth sends the body in Python's json.dumps form; kcat gets the same bytes.
    kcatLines.push(`${key}\t${pythonJson(value)}`);
  }
  writeFileSync(join(dir, 'stream.ndjson'), `${envelopes.join('\n')}\n`);
  writeFileSync(join(dir, 'kcat.txt'), `${kcatLines.join('\n')}\n`);
}

function timed(command, args, env = {}) {
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${run.status}):\n${run.stderr}`);
  return ms;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function measure(label, once) {
  const times = [];
  for (let run = 0; run < RUNS; run++) times.push(once());
  const ms = median(times);
  return { label, ms, rate: (N / ms) * 1000 };
}

writeStreams();
const thothEnv = { KAFKA_BOOTSTRAP_SERVERS: bootstrap, THOTH_HOME: dir };
const rows = [];
try {
  for (const codec of benchCodecs()) {
    const kcat = measure(`kcat -P -z ${codec}`, () =>
      timed('kcat', [
        '-P',
        '-b',
        bootstrap,
        '-z',
        codec,
        '-t',
        `b${randomUUID().slice(0, 8)}.${BASE}`,
        '-K',
        '\t',
        '-l',
        join(dir, 'kcat.txt'),
      ]),
    );
    const thoth = measure(`thoth -z ${codec} replay (Kafka)`, () =>
      timed(
        process.execPath,
        [BIN, '--quiet', '-z', codec, '--deployment-name', `b${randomUUID().slice(0, 8)}`, 'replay', join(dir, 'stream.ndjson')],
        thothEnv,
      ),
    );
    rows.push({ ...kcat, peer: kcat }, { ...thoth, peer: kcat });
  }
  rows.push(
    measure('thoth replay (embedded)', () =>
      timed(process.execPath, [BIN, '--quiet', '--db', join(dir, `${randomUUID()}.db`), 'replay', join(dir, 'stream.ndjson')], {
        THOTH_HOME: dir,
        KAFKA_BOOTSTRAP_SERVERS: '',
      }),
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `Publish ${N} solved-package messages (median of ${RUNS} runs, process start included); each row against kcat with the same codec\n`,
);
console.log('| producer | wall time (ms) | messages/s | messages/s vs kcat -P |');
console.log('|---|---:|---:|---:|');
for (const row of rows) {
  const peer = row.peer ?? rows[0];
  console.log(`| ${row.label} | ${row.ms.toFixed(0)} | ${row.rate.toFixed(0)} | ${(row.rate / peer.rate).toFixed(2)}x |`);
}
