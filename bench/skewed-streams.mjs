#!/usr/bin/env node
/**
 * The investigator on streams that pile their knowledge on a few things, where the throughput bench's stream spreads
 * it over 10,000 versions: each shape at N and at 4N messages (`investigate --from FILE --workflows record`, a fresh
 * cache each run). A cost linear in the stream gives a growth near 4x; one that reads everything already known about
 * the hot thing for each message gives 16x or more, and is what this bench is for.
 *
 *   node bench/skewed-streams.mjs [N]          # default 2000; BENCH_SHAPES=a,b to pick shapes
 *   BENCH_TIMEOUT_S=120                         # a run that takes longer is stopped and reported as "> 120 s"
 *
 * Shapes (every message valid, on one index, one solver thoth has configured):
 *   hot-version      unresolved-package for one version, again and again (a request each)
 *   hot-solved       the same, a solved-package after each (the solver's result re-sent)
 *   hot-cve          cve-provided for one version, again and again (a notice each)
 *   hot-hash         hash-mismatch for one version, seven hashes in turn
 *   hot-missing      unresolved-package for one version, each followed by missing-package-version for it
 *   one-package      unresolved-package for N versions of one package
 *   missing-notices  N/2 versions of one package, then N/2 missing-package notices for it
 *   advice-fan-in    one advice run (thoth-adviser-id) asking about N/2 versions, each solved after it is asked
 *   advice-late      the same run asking about N/2 versions first, then their solver results
 *   many-advisers    N/2 advice runs asking about one version, each followed by a solver result
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, benchSize, typeTemplates } from './common.mjs';

const N = benchSize(2000);
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 120);
const INDEX = 'https://index.example/simple';
const SOLVER = 'solver-rhel-8-py38';

const templates = typeTemplates();

const ADVICE = (adviserId) => ({ 'thoth-adviser-id': adviserId, 'thoth-recommendation-type': 'latest' });

/** shape -> (i, n) -> [type, fields, headers?] */
const SHAPES = {
  'hot-version': () => ['unresolved-package', { package_name: 'hot', package_version: '1.0.0', solver: SOLVER }],
  'hot-solved': (i) => [i % 2 ? 'solved-package' : 'unresolved-package', { package_name: 'hot', package_version: '1.0.0', solver: SOLVER }],
  'hot-cve': () => ['cve-provided', { package_name: 'hot', package_version: '1.0.0' }],
  'hot-hash': (i) => [
    'hash-mismatch',
    { package_name: 'hot', package_version: '1.0.0', missing_from_source: [`sha256:${(i % 7).toString(16).padStart(64, '0')}`] },
  ],
  'hot-missing': (i) =>
    i % 2
      ? ['missing-package-version', { package_name: 'hot', package_version: '1.0.0' }]
      : ['unresolved-package', { package_name: 'hot', package_version: '1.0.0', solver: SOLVER }],
  'one-package': (i) => ['unresolved-package', { package_name: 'one', package_version: `1.${i}.0`, solver: SOLVER }],
  'missing-notices': (i, n) =>
    i < n / 2
      ? ['unresolved-package', { package_name: 'gone', package_version: `1.${i}.0`, solver: SOLVER }]
      : ['missing-package', { package_name: 'gone' }],
  'advice-fan-in': (i) => [
    i % 2 ? 'solved-package' : 'unresolved-package',
    { package_name: 'fan', package_version: `1.${Math.floor(i / 2)}.0`, solver: SOLVER },
    i % 2 ? {} : ADVICE('adviser-fan-in'),
  ],
  'advice-late': (i, n) => [
    i < n / 2 ? 'unresolved-package' : 'solved-package',
    { package_name: 'late', package_version: `1.${i % (n / 2)}.0`, solver: SOLVER },
    i < n / 2 ? ADVICE('adviser-late') : {},
  ],
  'many-advisers': (i) => [
    i % 2 ? 'solved-package' : 'unresolved-package',
    { package_name: 'shared', package_version: '1.0.0', solver: SOLVER },
    i % 2 ? {} : ADVICE(`adviser-${Math.floor(i / 2)}`),
  ],
};

function stream(shape, n) {
  const lines = [];
  for (let i = 0; i < n; i++) {
    const [type, fields, headers = {}] = SHAPES[shape](i, n);
    const record = JSON.parse(templates.get(type));
    Object.assign(record.value, { index_url: INDEX, ...fields });
    record.headers = { ...(record.headers ?? {}), ...headers };
    record.key = record.value.package_version ? `${record.value.package_name}==${record.value.package_version}` : record.value.package_name;
    record.timestamp = 1_700_000_000_000 + i;
    delete record.partition;
    delete record.offset;
    lines.push(JSON.stringify(record));
  }
  return `${lines.join('\n')}\n`;
}

/** Wall time of one `investigate --from` run on a fresh cache, in ms; null when it outlasts the timeout. */
function run(file) {
  const home = mkdtempSync(join(tmpdir(), 'thoth-skewed-'));
  try {
    const env = { ...process.env, THOTH_HOME: home, THOTH_INDEX_URLS: INDEX };
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, [BIN, 'investigate', '--from', file, '--workflows', 'record', '-o', 'text'], {
      env,
      encoding: 'utf8',
      timeout: TIMEOUT_S * 1000,
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.error?.code === 'ETIMEDOUT' || result.signal) return null;
    if (result.status !== 0) throw new Error(`investigate --from ${file} exited ${result.status}: ${result.stderr}`);
    return ms;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const shapes = (process.env.BENCH_SHAPES ?? Object.keys(SHAPES).join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const shape of shapes) if (!SHAPES[shape]) throw new Error(`unknown shape ${shape} (${Object.keys(SHAPES).join(', ')})`);

const dir = mkdtempSync(join(tmpdir(), 'thoth-skewed-streams-'));
const show = (ms) => (ms === null ? `> ${TIMEOUT_S * 1000}` : String(Math.round(ms)));
console.log(`| shape | ${N} messages (ms) | ${4 * N} messages (ms) | growth for 4x the messages |`);
console.log('|---|---:|---:|---:|');
try {
  for (const shape of shapes) {
    const times = [N, 4 * N].map((n) => {
      const file = join(dir, `${shape}-${n}.ndjson`);
      writeFileSync(file, stream(shape, n));
      return run(file);
    });
    const growth = times.every((t) => t !== null) ? `${(times[1] / times[0]).toFixed(1)}x` : '-';
    console.log(`| ${shape} | ${show(times[0])} | ${show(times[1])} | ${growth} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
