#!/usr/bin/env node
/**
 * The suite on several Node.js versions (CI runs it on 20, 22 and 24).
 *
 *   node scripts/node-versions.mjs test [VERSION...] [-- VITEST ARGS]
 *        the whole suite (or the files named) on each version, one after the other; with
 *        several, one Kafka broker and one loopback cluster serve them all. Default: 20 22 24.
 *        `npm run test:node -- 24` is the same for Node 24 alone.
 *   node scripts/node-versions.mjs run VERSION [--] COMMAND...
 *        a command with that node first on PATH and the native modules built for it
 *   node scripts/node-versions.mjs prepare [VERSION...] fetch each node and build the native modules for it
 *                                                       (cached), then put the machine's builds back
 *   node scripts/node-versions.mjs fetch [VERSION...]   fetch (once) and print each node's folder
 *   node scripts/node-versions.mjs use VERSION          leave the native modules built for VERSION
 *   node scripts/node-versions.mjs restore              put the machine's node's builds back
 *
 * A VERSION is a major (22: the release pinned in scripts/node/fetch.mjs, or the machine's own
 * node when it is a 22) or a release (22.23.5). Other nodes come from the npm registry's
 * node-<platform>-<arch> package of that version; native modules (packages with a binding.gyp:
 * better-sqlite3) are compiled for each from source against its own headers, once, and switched by
 * copying from the cache afterwards (scripts/node/native.mjs). `test` and `run` always put the
 * machine's node's builds back, so node_modules keeps working with `node` as it was.
 *
 * What runs on the chosen node: scripts/with-services.mjs, vitest and its workers, and every thoth
 * the tests spawn (they run process.execPath); the suite's setup file fails every test file when
 * THOTH_TEST_NODE (set here) is not the node it runs on. The shared broker and cluster of a
 * several-version run are started by the machine's node.
 *
 * Environment: THOTH_NODE_CACHE (nodes and native builds by version; default .cache/node, CI uses
 * ~/.cache/thoth/node).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TESTED_MAJORS, ensureNode } from './node/fetch.mjs';
import { holdNodeModules, useNativeModules } from './node/native.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const WITH_SERVICES = join(REPO, 'scripts', 'with-services.mjs');
const REPORTS = join(REPO, '.cache', 'node-matrix');
const say = (text) => process.stderr.write(`node-versions: ${text}\n`);
const isVersion = (arg) => /^v?\d+(\.\d+\.\d+)?$/.test(arg);
const duration = (ms) => (ms < 60_000 ? `${(ms / 1000).toFixed(0)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`);

const machineNode = () => ensureNode(process.version);

/** The environment a command runs with on `node`: its folder first on PATH, so `node` and `#!/usr/bin/env node` find it. */
const envFor = (node, extra = {}) => ({ ...process.env, PATH: [join(node.prefix, 'bin'), process.env.PATH ?? ''].join(delimiter), ...extra });

/** Versions first, then (after an optional --) the rest. */
function splitArgs(argv) {
  const versions = [];
  let i = 0;
  while (i < argv.length && isVersion(argv[i])) versions.push(argv[i++]);
  if (argv[i] === '--') i++;
  return { versions, rest: argv.slice(i) };
}

/** Runs a command to its end; a first Ctrl-C is passed on to it, not acted on here (the builds are put back after). */
function runToEnd(command, args, env) {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { stdio: 'inherit', env, cwd: REPO });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.once('error', (error) => {
      say(`cannot run ${command}: ${error.message}`);
      resolveRun(127);
    });
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolveRun(code ?? 128 + (constants.signals[signal] ?? 1));
    });
  });
}

function switchTo(node, machine) {
  const started = Date.now();
  const { packages, compiled } = useNativeModules(node, { machine });
  if (packages.length) say(`native modules for Node ${node.version}: ${packages.join(', ')}${compiled.length ? ' (compiled)' : ''} in ${duration(Date.now() - started)}`);
}

function readReport(file) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests, files: r.numTotalTestSuites };
  } catch {
    return undefined;
  }
}

const counts = (c) => `${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`;

/** The suite on each node in turn; the machine's builds are back in place afterwards. */
async function runSuites(nodes, vitestArgs) {
  const machine = machineNode();
  const userReporters = vitestArgs.some((a) => a.startsWith('--reporter'));
  mkdirSync(REPORTS, { recursive: true });
  const results = [];
  let interrupted = false;
  const stop = () => (interrupted = true);
  process.on('SIGINT', stop);
  try {
    for (const node of nodes) {
      if (interrupted) break;
      switchTo(node, machine);
      const report = join(REPORTS, `vitest-node-v${node.version}.json`);
      rmSync(report, { force: true });
      const reporters = [...(userReporters ? [] : ['--reporter=default']), '--reporter=json', `--outputFile.json=${report}`];
      say(`the suite on Node ${node.version} (${node.bin})`);
      const started = Date.now();
      const code = await runToEnd(node.bin, [WITH_SERVICES, 'vitest', 'run', ...reporters, ...vitestArgs], envFor(node, { THOTH_TEST_NODE: `v${node.version}` }));
      results.push({ node, code, ms: Date.now() - started, counts: readReport(report) });
    }
  } finally {
    process.off('SIGINT', stop);
    switchTo(machine, machine);
  }
  process.stdout.write('\n');
  for (const { node, code, ms, counts: c } of results) {
    process.stdout.write(`Node v${node.version}: ${c ? counts(c) : 'no report'}; exit ${code}, ${duration(ms)}\n`);
  }
  const total = results.reduce((sum, { counts: c }) => ({ passed: sum.passed + (c?.passed ?? 0), failed: sum.failed + (c?.failed ?? 0), skipped: sum.skipped + (c?.skipped ?? 0) }), { passed: 0, failed: 0, skipped: 0 });
  const ok = !interrupted && results.length === nodes.length && results.every((r) => r.code === 0 && r.counts);
  // One plain closing line for the CI log: every version's tests together.
  process.stdout.write(`${counts(total)}\n`);
  return interrupted ? 130 : ok ? 0 : 1;
}

/** Each node fetched and its native builds made (or found in the cache); the machine's builds back in place. */
function prepare(nodes) {
  const machine = machineNode();
  try {
    for (const node of nodes) if (!node.machine) switchTo(node, machine);
  } finally {
    switchTo(machine, machine);
  }
}

async function test(argv) {
  const prepared = argv[0] === '--prepared';
  const { versions, rest } = splitArgs(prepared ? argv.slice(1) : argv);
  const specs = versions.length ? versions : TESTED_MAJORS.map(String);
  const nodes = specs.map((spec) => ensureNode(spec));
  if (!prepared) {
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'inherit' });
    if (build.status !== 0) return build.status ?? 1;
    // Compile what is not cached yet before any service starts, so that a failing build stops early.
    prepare(nodes);
    // Several versions share one broker and one cluster: started once, around this same command.
    const shared = process.env.KAFKA_BOOTSTRAP_SERVERS && process.env.THOTH_TEST_KUBECONFIG;
    if (nodes.length > 1 && !shared) {
      return runToEnd(process.execPath, [WITH_SERVICES, process.execPath, SELF, 'test', '--prepared', ...nodes.map((n) => n.version), '--', ...rest], process.env);
    }
  }
  return runSuites(nodes, rest);
}

async function main([command, ...argv]) {
  if (['test', 'run', 'prepare', 'use', 'restore'].includes(command)) holdNodeModules();
  switch (command) {
    case 'test':
      return test(argv);
    case 'run': {
      const { versions, rest } = splitArgs(argv);
      if (versions.length !== 1 || rest.length === 0) break;
      const node = ensureNode(versions[0]);
      const machine = machineNode();
      switchTo(node, machine);
      try {
        return await runToEnd(rest[0], rest.slice(1), envFor(node));
      } finally {
        switchTo(machine, machine);
      }
    }
    case 'prepare':
      prepare((argv.length ? argv : TESTED_MAJORS.map(String)).map((spec) => ensureNode(spec)));
      return 0;
    case 'fetch':
      for (const spec of argv.length ? argv : TESTED_MAJORS.map(String)) process.stdout.write(`${ensureNode(spec).prefix}\n`);
      return 0;
    case 'use':
      if (argv.length !== 1) break;
      switchTo(ensureNode(argv[0]), machineNode());
      return 0;
    case 'restore':
      switchTo(machineNode(), machineNode());
      return 0;
  }
  process.stderr.write('usage: node scripts/node-versions.mjs test [VERSION...] [-- VITEST ARGS] | run VERSION [--] COMMAND... | prepare [VERSION...] | fetch [VERSION...] | use VERSION | restore\n');
  return 2;
}

if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      say(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
