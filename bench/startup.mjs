#!/usr/bin/env node
// Start-up cost (SPEC §8): wall time of `thoth --version` and `thoth query stats`
// as a ratio to `node -e 0`, measured in the same run. Prints a markdown table.
// Usage: node bench/startup.mjs [runs]   (build first: npm run build)
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './common.mjs';

const runs = Number(process.argv[2] ?? 20);
const bin = BIN;
const home = mkdtempSync(join(tmpdir(), 'thoth-bench-'));
const env = { PATH: process.env.PATH, HOME: home, THOTH_HOME: home, NO_COLOR: '1' };

function time(args) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    samples.push(ms);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

// `query stats` needs a cache to read: create one with a cheap write command.
spawnSync(process.execPath, [bin, 'topics', 'create'], { env, encoding: 'utf8' });

const baseline = time(['-e', '0']);
const rows = [
  ['node -e 0', baseline],
  ['thoth --version', time([bin, '--version'])],
  ['thoth --help', time([bin, '--help'])],
  ['thoth query stats', time([bin, 'query', 'stats', '-o', 'json'])],
];
console.log(`Start-up, median of ${runs} runs; ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, Node ${process.version}\n`);
console.log('| command | median ms | ratio to node -e 0 |');
console.log('|---|---:|---:|');
for (const [name, ms] of rows) console.log(`| \`${name}\` | ${ms.toFixed(1)} | ${(ms / baseline).toFixed(2)} |`);
