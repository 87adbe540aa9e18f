#!/usr/bin/env node
/**
 * Bounded memory (SPEC §8): `thoth replay` of N recorded messages, then
 * `thoth tail --exit-at-end -o ndjson` of all of them, on the embedded broker
 * (or Kafka when KAFKA_BOOTSTRAP_SERVERS is set), then `thoth investigate
 * --from` of the same recorded stream (every solved version's security
 * indicators decided and recorded: 2N records, N workflows, on a fresh
 * cache), each under a JavaScript heap capped at HEAP_MB. Finishing at all
 * shows the heap stayed bounded; the peak resident size comes from
 * /usr/bin/time when it is installed (it includes SQLite's page cache and the
 * cache file's pages mapped into memory, which the kernel can reclaim).
 *
 *   node bench/publish-memory.mjs [N]        (default 1000000; needs dist/)
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { BIN, benchSize } from './common.mjs';

const N = benchSize(1_000_000);
const HEAP_MB = Number(process.env.HEAP_MB ?? 64);
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const dir = mkdtempSync(join(tmpdir(), 'thoth-bench-'));
const stream = join(dir, 'stream.ndjson');

async function writeStream() {
  const out = createWriteStream(stream);
  for (let i = 0; i < N; i++) {
    const value = { component_name: 'solver', service_version: '0.1.0', version: 'v1', package_name: `package-${i % 1000}`, package_version: `1.${i}.0`, index_url: 'https://index.example/simple', solver: 'solver-rhel-8-py38' };
    const line = `${JSON.stringify({ topic: 'thoth.solver.solved-package', key: `package-${i % 1000}==1.${i}.0`, headers: {}, value, timestamp: 1638007200000 + i })}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function run(label, args, stdoutToNull) {
  const env = { ...process.env, NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`, THOTH_HOME: dir, THOTH_INDEX_URLS: 'https://index.example/simple' };
  const command = TIME ? [TIME, '-f', '%M', process.execPath, BIN, ...args] : [process.execPath, BIN, ...args];
  const started = process.hrtime.bigint();
  const result = spawnSync(command[0], command.slice(1), { env, encoding: 'utf8', maxBuffer: stdoutToNull ? 1 << 20 : 1 << 30, stdio: ['ignore', stdoutToNull ? 'ignore' : 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${label} failed (${result.status}):\n${result.stderr.slice(-2000)}`);
  const peakKb = TIME ? Number(result.stderr.trim().split('\n').at(-1)) : undefined;
  return { label, ms, peak: peakKb ? `${Math.round(peakKb / 1024)} MB` : 'n/a' };
}

const rows = [];
try {
  await writeStream();
  const deployment = `m${randomUUID().slice(0, 8)}`;
  const common = ['--quiet', '--db', join(dir, 'thoth.db'), '--deployment-name', deployment];
  rows.push(run('thoth replay', [...common, 'replay', stream]));
  rows.push(run('thoth tail --exit-at-end -o ndjson', [...common, 'tail', 'solved-package', '--exit-at-end', '-o', 'ndjson'], true));
  const investigate = ['--quiet', '--db', join(dir, 'investigate.db'), 'investigate', '--from', stream, '--workflows', 'record', '--port', 'none', '-o', 'text'];
  rows.push(run('thoth investigate --from FILE --workflows record', investigate, true));
  console.log(`${N} messages (${Math.round(statSync(stream).size / 1e6)} MB of NDJSON), JavaScript heap capped at ${HEAP_MB} MB, ${process.env.KAFKA_BOOTSTRAP_SERVERS ? 'Kafka' : 'embedded broker'}\n`);
  console.log('| command | wall time (s) | messages/s | peak RSS |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows) console.log(`| ${row.label} | ${(row.ms / 1000).toFixed(1)} | ${Math.round((N / row.ms) * 1000)} | ${row.peak} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
