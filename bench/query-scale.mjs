// Knowledge-cache scale benchmark: builds a cache of 1,000,000 package
// versions through the store API (one transaction), then times the
// investigator's lookups and the `thoth query` subcommands on it.
// Prints a markdown table on stdout (for BENCHMARKS.md); progress on stderr.
//
//   npm run build && node bench/query-scale.mjs [--versions N] [--keep PATH]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../dist/src/store/index.js';
import { BIN } from './common.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const VERSIONS = Number(option('--versions', '1000000'));
const PER_PACKAGE = 20;
const PACKAGES = Math.ceil(VERSIONS / PER_PACKAGE);
const INDEX = 'https://index.example/simple';
const SOLVERS = ['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310'];
const dir = mkdtempSync(join(tmpdir(), 'thoth-bench-'));
const path = option('--keep', join(dir, 'thoth.db'));
const note = (text) => process.stderr.write(`${text}\n`);

const keyOf = (i) => ({ packageName: `package-${Math.floor(i / PER_PACKAGE)}`, packageVersion: `${i % PER_PACKAGE}.0.0`, indexUrl: INDEX });
// A fixed pseudo-random sequence, so every run times the same keys.
let seed = 42;
const random = (n) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);

function build() {
  const store = openStore(path, { create: true, indexUrls: INDEX });
  const started = performance.now();
  store.transaction(() => {
    for (let i = 0; i < VERSIONS; i++) {
      const key = keyOf(i);
      store.recordSolved(key, SOLVERS[0], { error: i % 100 === 0 });
      if (i % 3 !== 0) store.recordSolved(key, SOLVERS[1]);
      if (i % 3 === 2) store.recordSolved(key, SOLVERS[2]);
      if (i % 2 === 0) store.setSecurityIndicatorState(key, 'done');
      if (i % 100 === 7) store.setMissing(key, true);
      if (i % 10 === 0) {
        store.recordWorkflow({
          name: `solver-${key.packageName}-${key.packageVersion}-${i}`, kind: i % 20 === 0 ? 'solver' : 'security-indicators', namespace: 'thoth',
          parameters: { THOTH_SOLVER_NAME: SOLVERS[1], THOTH_SOLVER_PACKAGES: `${key.packageName}===${key.packageVersion}` },
          idempotencyKey: `key-${i}`, status: i % 30 === 0 ? 'Failed' : 'Succeeded', source: { topic: 'thoth.investigator.unresolved-package', partition: 0, offset: i },
          createdAt: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(), updatedAt: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
          packageName: key.packageName, packageVersion: key.packageVersion, indexUrl: INDEX,
        });
        store.recordInbox({ topic: 'thoth.investigator.unresolved-package', partition: 0, offset: i }, 'done', new Date().toISOString());
      }
      if (i % 100 === 1) store.recordUnresolved(key, new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(), null);
      if (i % 1000 === 1) store.addAdviceWait(`adviser-${i}`, 'latest', key);
      if (i % 1000 === 3) store.recordDeadLetter({ topic: 'thoth.solver.solved-package', partition: 0, offset: i, errorClass: 'schema', reason: 'solver: required', value: { n: i }, headers: {}, createdAt: new Date().toISOString() });
      if (i % 100_000 === 0) note(`  ${i} versions…`);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const log = [];
  for (let i = 0; i < 100_000; i++) log.push({ topic: 'thoth.solver.solved-package', key: null, headers: {}, value: JSON.stringify({ n: i }) });
  store.appendRecords(log);
  store.close();
  return seconds;
}

/** Median and 99th percentile of fn over `count` calls, in microseconds. */
function time(count, fn) {
  const samples = [];
  for (let n = 0; n < count; n++) {
    const started = performance.now();
    fn(n);
    samples.push((performance.now() - started) * 1000);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(count / 2)], p99: samples[Math.floor(count * 0.99)] };
}

const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(1)} µs`);

note(`building a cache of ${VERSIONS} package versions at ${path}`);
const buildSeconds = build();
const size = statSync(path).size;
note(`built in ${buildSeconds.toFixed(1)} s (${(size / 2 ** 20).toFixed(0)} MiB); timing`);

const rows = [];
const store = openStore(path, { create: false });
const key = () => keyOf(random(VERSIONS));
const lookups = [
  ['isSolved', () => store.isSolved(key(), SOLVERS[2])],
  ['solversLacking (3 solvers)', () => store.solversLacking(key(), SOLVERS)],
  ['securityIndicatorState', () => store.securityIndicatorState(key())],
  ['isMissing', () => store.isMissing(key())],
  ['providesSourceDistro', () => store.providesSourceDistro(key())],
  ['knownVersions (20 per package)', () => store.knownVersions(keyOf(random(VERSIONS)).packageName)],
  ['workflowsInFlight', () => store.workflowsInFlight('solver', key())],
  ['findWorkflowByKey', () => store.findWorkflowByKey(`key-${random(VERSIONS)}`)],
  ['inboxOutcome', () => store.inboxOutcome({ topic: 'thoth.investigator.unresolved-package', partition: 0, offset: random(VERSIONS) })],
  ['isIndexRegistered', () => store.isIndexRegistered(INDEX)],
  ['adviceRunIdsWaitingOn', () => store.adviceRunIdsWaitingOn(key())],
];
for (const [name, fn] of lookups) {
  const { p50, p99 } = time(20_000, fn);
  rows.push([`lookup: ${name}`, fmt(p50), fmt(p99)]);
}
store.close();

const reader = openStore(path, { readonly: true });
const reports = [
  ['query package NAME', () => reader.packageReport(keyOf(random(VERSIONS)).packageName, undefined, SOLVERS)],
  ['query package NAME VERSION', () => { const k = key(); return reader.packageReport(k.packageName, k.packageVersion, SOLVERS); }],
  ['query unresolved --limit 100', () => reader.unresolvedReport(SOLVERS, { limit: 100 })],
  [`query unresolved --all (${VERSIONS / 100})`, () => reader.unresolvedReport(SOLVERS, { all: true })],
  ['query unsolved --limit 100', () => reader.unsolvedReport(SOLVERS, { limit: 100 })],
  ['query unsolved --solver S --limit 100', () => reader.unsolvedReport([SOLVERS[2]], { limit: 100 })],
  ['query si-unanalyzed --limit 100', () => reader.siUnanalyzedReport({ limit: 100 })],
  [`query missing (all ${VERSIONS / 100})`, () => reader.missingReport()],
  ['query workflows --kind solver --status Failed --limit 100', () => reader.workflowsReport({ kind: 'solver', status: 'Failed', limit: 100 })],
  ['query workflows --since (last 1,000)', () => reader.workflowsReport({ since: new Date(Date.UTC(2024, 0, 1) + (VERSIONS - 10_000) * 1000).toISOString() })],
  [`query dead-letters (all ${VERSIONS / 1000})`, () => reader.deadLettersReport()],
  ['query indexes', () => reader.indexesReport()],
  ['query stats', () => reader.stats()],
];
for (const [name, fn] of reports) {
  const { p50, p99 } = time(20, fn);
  rows.push([name, fmt(p50), fmt(p99)]);
}
reader.close();

// End to end, as a user runs it: a new process each time.
for (const argv of [['--version'], ['query', 'stats', '-o', 'json'], ['query', 'package', 'package-4242', '-o', 'json']]) {
  const { p50, p99 } = time(7, () => execFileSync(process.execPath, [BIN, ...(argv[0] === 'query' ? ['--db', path] : []), ...argv], { stdio: ['ignore', 'ignore', 'inherit'] }));
  rows.push([`\`thoth ${argv.join(' ')}\` (new process)`, fmt(p50), fmt(p99)]);
}

process.stdout.write(`Knowledge cache of ${VERSIONS.toLocaleString('en')} package versions (${(size / 2 ** 20).toFixed(0)} MiB, built through the store API in one transaction in ${buildSeconds.toFixed(1)} s); Node ${process.version}.\n\n`);
process.stdout.write('| operation | median | p99 |\n|---|---:|---:|\n');
for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`);
if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
