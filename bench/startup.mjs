#!/usr/bin/env node
// Start-up cost (SPEC §8): wall time of `thoth --version`, `thoth --help` and `thoth query stats`
// as a ratio to `node -e 0`, measured in the same run on the same node, and their CPU time (on
// Linux), which load from other work on the machine moves less than the wall time. Runs are interleaved
// (each round runs every command once, in a rotating order) so that load from elsewhere falls on
// all of them alike; warm-up rounds first, which also fill thoth's cache of the code compiled for
// its bundle (and Node's compile cache, Node >= 22.1).
// Then how many modules each command loads, and where `query stats` spends its time
// (bench/startup-steps.mjs). Prints markdown.
//   node bench/startup.mjs [runs]                   on this node (build first: npm run build)
//   node bench/startup.mjs [runs] --node 20,22,24   on each in turn (scripts/node-versions.mjs run)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import nodeModule from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN } from './common.mjs';

const args = process.argv.slice(2);
const nodes = args.includes('--node') ? args[args.indexOf('--node') + 1].split(',') : undefined;
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 30);
const REPO = fileURLToPath(new URL('..', import.meta.url));

if (nodes) {
  // One section per node, each measured by a bench running on that node with its native modules.
  for (const node of nodes) {
    const run = spawnSync(process.execPath, [join(REPO, 'scripts', 'node-versions.mjs'), 'run', node, '--', 'node', fileURLToPath(import.meta.url), String(runs)], { stdio: 'inherit' });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
  process.exit(0);
}

const home = mkdtempSync(join(tmpdir(), 'thoth-bench-'));
const env = { PATH: process.env.PATH, HOME: home, THOTH_HOME: home, NO_COLOR: '1' };
const hasCompileCache = typeof nodeModule.enableCompileCache === 'function';
const STEPS = fileURLToPath(new URL('./startup-steps.mjs', import.meta.url));
const COUNTER = fileURLToPath(new URL('./module-counter.mjs', import.meta.url));

// `query stats` needs a cache to read: create one with a cheap write command.
spawnSync(process.execPath, [BIN, 'topics', 'create'], { env, encoding: 'utf8' });

const commands = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'thoth --version', args: [BIN, '--version'] },
  { name: 'thoth --help', args: [BIN, '--help'] },
  { name: 'thoth query stats', args: [BIN, 'query', 'stats', '-o', 'json'] },
];
// thoth's cache of V8's code for its bundle (src/cli/startup.ts, requireBundled) and Node's compile
// cache (Node >= 22.1): NODE_DISABLE_COMPILE_CACHE=1 turns both off.
const off = { ...env, NODE_DISABLE_COMPILE_CACHE: '1' };
if (hasCompileCache) commands.push({ name: 'thoth --help, compile cache off', args: [BIN, '--help'], env: off });
commands.push({ name: 'thoth query stats, compile cache off', args: [BIN, 'query', 'stats', '-o', 'json'], env: off });

/**
 * CPU time (user + system, ms) of this process's waited-for children, from /proc (Linux; 10 ms
 * ticks, so only a mean over many runs says something); undefined elsewhere.
 */
function childrenCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

const cpu = new Map();
function once(command) {
  const cpuBefore = childrenCpuMs();
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, command.args, { env: command.env ?? env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command.name} exited ${result.status}: ${result.stderr}`);
  if (cpuBefore !== undefined) cpu.set(command, (cpu.get(command) ?? 0) + childrenCpuMs() - cpuBefore);
  return ms;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load = loadavg()[0];
for (let round = 0; round < 3; round++) for (const command of commands) once(command);
cpu.clear();
const samples = new Map(commands.map((c) => [c, []]));
for (let round = 0; round < runs; round++) {
  for (let i = 0; i < commands.length; i++) {
    const command = commands[(i + round) % commands.length];
    samples.get(command).push(once(command));
  }
}

/** Modules a command loads: ES modules resolved and CommonJS ones required (bench/module-counter.mjs). */
function modulesLoaded(command) {
  if (command.name.startsWith('node')) return undefined;
  const log = join(home, 'modules.txt');
  rmSync(log, { force: true });
  spawnSync(process.execPath, ['--import', COUNTER, ...command.args], { env: { ...(command.env ?? env), BENCH_MODULE_LOG: log } });
  const lines = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))].map((line) => line.replace(/^\w+ /, '').replace(/^file:\/\//, ''));
  const files = [...new Set(lines)].filter((file) => !file.includes('/bench/module-counter'));
  const own = files.filter((file) => !file.includes('/node_modules/')).length;
  return `${files.length}: ${own} of thoth, ${files.length - own} of node_modules`;
}

const baseline = median(samples.get(commands[0]));
console.log(`### Node ${process.version}\n`);
console.log(`Median of ${runs} interleaved runs after 3 warm-up rounds; ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}; load average ${load.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after.\n`);
const cpuMean = (command) => (cpu.has(command) ? cpu.get(command) / runs : undefined);
const cpuBaseline = cpuMean(commands[0]);
console.log('| command | median ms | fastest ms | ratio to node -e 0 | CPU ms (mean) | CPU ratio | modules loaded |');
console.log('|---|---:|---:|---:|---:|---:|---|');
for (const command of commands) {
  const values = samples.get(command);
  const ms = median(values);
  const cpuMs = cpuMean(command);
  const cpuText = cpuMs === undefined ? '- | -' : `${cpuMs.toFixed(1)} | ${(cpuMs / cpuBaseline).toFixed(2)}`;
  console.log(`| \`${command.name}\` | ${ms.toFixed(1)} | ${Math.min(...values).toFixed(1)} | ${(ms / baseline).toFixed(2)} | ${cpuText} | ${modulesLoaded(command) ?? '-'} |`);
}

// Where `query stats` spends its time: each step's median over fresh processes.
const steps = [];
for (let i = 0; i < Math.min(runs, 15); i++) {
  const result = spawnSync(process.execPath, [STEPS, join(home, 'thoth.db')], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`startup-steps: ${result.stderr}`);
  steps.push(JSON.parse(result.stdout));
}
console.log(`\n\`query stats\` step by step, unbundled (bench/startup-steps.mjs: tsc's dist/src/ modules; median of ${steps.length} processes):\n`);
console.log('| step | ms |');
console.log('|---|---:|');
for (const name of Object.keys(steps[0])) console.log(`| ${name} | ${median(steps.map((s) => s[name])).toFixed(1)} |`);
console.log('');
rmSync(home, { recursive: true, force: true });
