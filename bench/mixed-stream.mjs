#!/usr/bin/env node
/**
 * Writes a recorded stream of every message type the catalogue has (SPEC §3), for
 * `BENCH_STREAM=FILE node bench/investigate-throughput.mjs`: the throughput bench's own
 * stream holds two types only, and a stream met in the field holds them all.
 *
 *   node bench/mixed-stream.mjs N [SEED] > mixed.ndjson
 *
 * Each line is one of fixtures/streams/all-types.ndjson with its package (300 names, 300
 * versions each), solver, job, inspection or adviser id varied, drawn by weight: requests
 * and solver results half of the stream, the other types the rest. A third of the
 * unresolved-package and solved-package messages name a solver thoth does not have
 * configured: the investigator dead-letters those (UnknownSolver), as it would a faulty
 * producer's. The same N and SEED give the same stream.
 */
import { seededRandom } from '../scripts/seeded-random.mjs';
import { typeTemplates } from './common.mjs';

const N = Number(process.argv[2] ?? 20000);
const SEED = Number(process.argv[3] ?? 1);
if (!Number.isInteger(N) || N < 1 || !Number.isInteger(SEED)) {
  console.error('usage: node bench/mixed-stream.mjs N [SEED]  (N a positive integer, SEED an integer)');
  process.exit(2);
}

const templates = typeTemplates();

/** Parts of the stream per type (by the topic's last name). */
const WEIGHTS = {
  'unresolved-package': 25,
  'solved-package': 25,
  'missing-package-version': 4,
  'missing-package': 1,
  'hash-mismatch': 4,
  'cve-provided': 4,
  'si-unanalyzed-package': 5,
  'update-provides-source-distro': 5,
  'package-released': 5,
  'advise-justification': 3,
  'adviser-trigger': 3,
  'adviser-re-run': 2,
  'unrevsolved-package': 3,
  'inspection-completed': 2,
  'kebechet-trigger': 1,
  'kebechet-run-url-trigger': 1,
  'package-extract-trigger': 1,
  'provenance-checker-trigger': 1,
  'build-analysis-trigger': 1,
  'repo-init': 1,
};
const types = Object.entries(WEIGHTS).map(([name, weight]) => {
  const line = templates.get(name);
  if (!line) throw new Error(`fixtures/streams/all-types.ndjson has no ${name} message`);
  return { line, weight };
});
const total = types.reduce((sum, t) => sum + t.weight, 0);
// The first two are configured by default (src/config/solvers.ts); the third is not.
const SOLVERS = ['solver-fedora-35-py310', 'solver-rhel-8-py38', 'solver-ubi-8-py39'];

const next = seededRandom(SEED);
const pick = (n) => Math.floor(next() * n);
const out = [];
for (let i = 0; i < N; i++) {
  let r = next() * total;
  const { line } = types.find((t) => (r -= t.weight) < 0) ?? types[types.length - 1];
  const record = JSON.parse(line);
  const value = record.value;
  const name = `pkg-${pick(300)}`;
  const version = `${1 + pick(30)}.${pick(10)}.0`;
  if ('package_name' in value) value.package_name = name;
  if ('package_version' in value) value.package_version = version;
  if ('solver' in value) value.solver = SOLVERS[pick(SOLVERS.length)];
  if ('job_id' in value) value.job_id = `${value.job_id}-${i}`;
  if ('inspection_id' in value) value.inspection_id = `inspection-${i}`;
  if ('re_run_adviser_id' in value && value.re_run_adviser_id !== null) value.re_run_adviser_id = `adviser-${pick(N)}`;
  if ('missing_from_source' in value) value.missing_from_source = [`sha256:${i.toString(16).padStart(64, '0')}`];
  record.key = 'package_name' in value ? `${name}==${version}` : null;
  record.timestamp = 1_700_000_000_000 + i;
  delete record.partition;
  delete record.offset;
  out.push(JSON.stringify(record));
}
process.stdout.write(`${out.join('\n')}\n`);
