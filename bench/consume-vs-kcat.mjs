#!/usr/bin/env node
/**
 * Consume throughput: `thoth tail <type> --exit-at-end -o ndjson` (decode,
 * validate, print the §7 envelope) against `kcat -C -e -J` (print its JSON
 * envelope) over the same N messages on the same Kafka broker in the same run
 * (SPEC §8), once per compression codec (the topic written by `kcat -P -z C`).
 * Median wall time of RUNS runs, process start included.
 *
 *   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 [BENCH_CODECS=none,zstd] node bench/consume-vs-kcat.mjs [N]
 *
 * Needs `npm run build` (dist/) and kcat on PATH. Prints a markdown table.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, benchCodecs, benchRuns, benchSize, requireKafka } from './common.mjs';

const N = benchSize(20000);
const RUNS = benchRuns(3);
const bootstrap = requireKafka();

const dir = mkdtempSync(join(tmpdir(), 'thoth-bench-'));

function run(command, args, env = {}) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  return { ms, lines: result.stdout.split('\n').filter(Boolean).length };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function measure(label, once) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const { ms, lines } = once();
    if (lines !== N) throw new Error(`${label} printed ${lines} messages, expected ${N}`);
    times.push(ms);
  }
  const ms = median(times);
  return { label, ms, rate: (N / ms) * 1000 };
}

const rows = [];
try {
  const payloads = [];
  for (let i = 0; i < N; i++) {
    const value = {
      component_name: 'solver',
      service_version: '0.1.0',
      version: 'v1',
      package_name: `package-${i % 500}`,
      package_version: `1.${i}.0`,
      index_url: 'https://index.example/simple',
      solver: 'solver-rhel-8-py38',
    };
    payloads.push(`package-${i % 500}==1.${i}.0\t${JSON.stringify(value)}`);
  }
  writeFileSync(join(dir, 'kcat.txt'), `${payloads.join('\n')}\n`);
  for (const codec of benchCodecs()) {
    const deployment = `b${randomUUID().slice(0, 8)}`;
    const topic = `${deployment}.thoth.solver.solved-package`;
    run('kcat', ['-P', '-b', bootstrap, '-z', codec, '-t', topic, '-K', '\t', '-l', join(dir, 'kcat.txt')]);
    const kcat = measure(`kcat -C -e -J (${codec})`, () =>
      run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-J']),
    );
    const thoth = measure(`thoth tail --exit-at-end -o ndjson (${codec})`, () =>
      run(process.execPath, [BIN, '--quiet', '--deployment-name', deployment, 'tail', 'solved-package', '--exit-at-end', '-o', 'ndjson'], {
        KAFKA_BOOTSTRAP_SERVERS: bootstrap,
        THOTH_HOME: dir,
      }),
    );
    rows.push({ ...kcat, peer: kcat }, { ...thoth, peer: kcat });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `Consume ${N} solved-package messages from the beginning to the end (median of ${RUNS} runs, process start included); each topic written by kcat -P -z with the codec named\n`,
);
console.log('| consumer | wall time (ms) | messages/s | messages/s vs kcat -C |');
console.log('|---|---:|---:|---:|');
for (const row of rows)
  console.log(`| ${row.label} | ${row.ms.toFixed(0)} | ${row.rate.toFixed(0)} | ${(row.rate / row.peer.rate).toFixed(2)}x |`);
