#!/usr/bin/env node
/**
 * The investigator against a real Kubernetes API server (issue 15, SPEC §8):
 * messages/s and the latency per message of `thoth investigate --workflows
 * cluster`, each workflow created in the loopback kube-apiserver.
 *
 *   npm run build && THOTH_KUBE_CACHE=$HOME/.cache/thoth/kube node bench/investigate-cluster.mjs [N]
 *   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 ... node bench/investigate-cluster.mjs [N]     # and Kafka
 *
 * The cluster: etcd and kube-apiserver from the harness the tests use (scripts/kube.mjs, binaries in
 * THOTH_KUBE_CACHE), and Argo's CRDs installed by it (scripts/kube/argo.mjs), WITHOUT Argo's
 * workflow-controller (creating a workflow needs only the CRD; the controller would spend the two
 * cores running them). BENCH_ARGO_CONTROLLER=1 starts the controller and the loopback kubelet too;
 * with THOTH_TEST_KUBECONFIG and THOTH_TEST_KUBECTL set (what `node scripts/kube.mjs start` prints,
 * or scripts/with-services.mjs) the bench uses that cluster instead.
 * Each run gets a namespace of its own with deploy/ applied in it (the WorkflowTemplates, and the
 * investigator's ServiceAccount, Role and RoleBinding), and the investigator authenticates as that
 * ServiceAccount (a token from the TokenRequest API): only deploy/'s RBAC, no admin rights.
 *
 * Two streams of N unresolved-package messages, each for a version of its own:
 *   one    each names its solver: one solver workflow a message (N workflows);
 *   three  each names no solver, THOTH_SOLVERS lists three: three workflows a message (3N), the
 *          case where --max-in-flight (concurrent creates within a message) matters.
 * Runs (one each, fresh cache, fresh namespace):
 *   backlog  `--from FILE`, and on the embedded broker (`replay`, not timed, then
 *            `investigate --until-idle 1`), and on Kafka with KAFKA_BOOTSTRAP_SERVERS; with
 *            `--max-in-flight 1` and the default (8);
 *   paced    the embedded broker (and Kafka) while `thoth replay --rate R` publishes the stream,
 *            R = BENCH_RATE or half of what the backlog run of the same broker reached.
 * Figures, from the investigator's own `-o ndjson` log (its `processed` events, and the
 * `committed` event after each batch's commit):
 *   wall msg/s   N / wall time of the process, start-up included, the idle wait excluded;
 *   steady msg/s N / (last `committed` - first `received`): without start-up;
 *   latency      per message, from its origin to the `committed` event after its `processed`:
 *                backlog runs: origin = process start (every record is there before it);
 *                paced runs: origin = the record's timestamp in the broker (its publish), read
 *                back with `thoth tail -o ndjson`.
 * Every run checks that N messages were processed, that the investigator reported the expected
 * number of workflows created, and that the namespace holds exactly that many Workflows.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { startCluster, stopCluster } from '../scripts/kube.mjs';
import { installArgo, kubectlRun } from '../scripts/kube/argo.mjs';
import { BIN, benchSize, kafkaBootstrap } from './common.mjs';

const N = benchSize(2000);
const IDLE_S = 1;
const KAFKA_IDLE_S = Number(process.env.BENCH_KAFKA_IDLE_S ?? 3);
const KAFKA_JOIN_S = Number(process.env.BENCH_KAFKA_JOIN_S ?? 5);
const INDEX = 'https://index.example/simple';
const SOLVERS = ['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310'];
const DEPLOY = fileURLToPath(new URL('../deploy', import.meta.url));
const TOPIC = 'thoth.investigator.unresolved-package';
const bootstrap = kafkaBootstrap();
if (!Number.isInteger(N) || N < 1) {
  console.error(`N must be a positive integer, got ${process.argv[2]}`);
  process.exit(2);
}
const say = (text) => process.stderr.write(`bench: ${text}\n`);

const dir = mkdtempSync(join(tmpdir(), 'thoth-bench-cluster-'));

const STREAMS = {
  one: { title: 'one workflow a message', perMessage: 1, solver: true },
  three: { title: 'three workflows a message (3 solvers)', perMessage: 3, solver: false },
};

function writeStream(name) {
  const { solver } = STREAMS[name];
  const lines = [];
  for (let k = 0; k < N; k++) {
    const value = {
      component_name: 'bench',
      service_version: '0.1.0',
      version: 'v1',
      package_name: `package-${k % 500}`,
      package_version: `${1 + Math.floor(k / 500)}.${k % 500}.0`,
      index_url: INDEX,
      ...(solver ? { solver: SOLVERS[0] } : {}),
    };
    lines.push(
      JSON.stringify({ topic: TOPIC, key: `${value.package_name}==${value.package_version}`, headers: {}, value, timestamp: Date.now() }),
    );
  }
  const path = join(dir, `${name}.ndjson`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Runs a command; resolves with its output, wall time and (for -o ndjson) events with their arrival. */
function start(command, args, env = {}, { cpu = false } = {}) {
  const startedAt = Date.now();
  const began = process.hrtime.bigint();
  // GNU time writes the process's user and system CPU seconds to a file of its own.
  const cpuFile = cpu ? join(dir, `cpu-${randomBytes(4).toString('hex')}`) : undefined;
  const argv = cpuFile ? ['/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, command, ...args]] : [command, args];
  const child = spawn(argv[0], argv[1], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events = [];
  const waiters = [];
  let pending = '';
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    const text = chunk.toString('utf8');
    stdout += text;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        const event = JSON.parse(line);
        events.push(event);
        for (const w of [...waiters]) if (w.test(event)) w.resolve(event);
      } catch {
        // not an event line
      }
    }
  });
  child.stderr.on('data', (chunk) => (stderr += chunk.toString('utf8')));
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - began) / 1e6;
      for (const w of waiters) w.reject(new Error(`${args.slice(0, 6).join(' ')} exited (${code}) before the awaited event:\n${stderr}`));
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${stderr.slice(-4000)}`));
      else resolve({ ms, stdout, stderr, events, startedAt, cpuMs: cpuFile ? cpuSecondsIn(cpuFile) * 1000 : undefined });
    });
  });
  const until = (test) =>
    new Promise((resolve, reject) => {
      const seen = events.find(test);
      if (seen) return resolve(seen);
      waiters.push({ test, resolve, reject });
    });
  return { done, until, startedAt };
}

function cpuSecondsIn(file) {
  const [user, system] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  return user + system;
}

/** CPU ms a running process (and its reaped children) used so far, from /proc; undefined when it is not ours to read. */
function cpuOfPid(pid) {
  if (!pid) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime, stime, cutime, cstime: fields 14-17 of proc(5), in clock ticks (100 a second on Linux).
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * 10;
  } catch {
    return undefined;
  }
}

const thothEnv = (extra = {}) => {
  const env = { THOTH_HOME: dir, THOTH_INDEX_URLS: INDEX, THOTH_SOLVERS: SOLVERS.join(','), ...extra };
  return env;
};
const thoth = (db, args, env = {}, options = {}) => start(process.execPath, [BIN, '--quiet', '--db', db, ...args], thothEnv(env), options);
// No inherited setting may change what is measured.
for (const name of ['ARGO_PENDING_WORKFLOW_LIMIT', 'KUBECONFIG', 'THOTH_NAMESPACE', 'THOTH_SOLVERS']) delete process.env[name];

// ---------------------------------------------------------------- the cluster

async function cluster() {
  if (process.env.THOTH_TEST_KUBECONFIG) {
    say(`using the cluster of THOTH_TEST_KUBECONFIG=${process.env.THOTH_TEST_KUBECONFIG}`);
    return {
      admin: process.env.THOTH_TEST_KUBECONFIG,
      kubectl: process.env.THOTH_TEST_KUBECTL ?? 'kubectl',
      controller: 'as that cluster runs it (scripts/with-services.mjs and `kube.mjs start` start it)',
      cpuMs: () => undefined,
      stop: async () => undefined,
    };
  }
  const withController = process.env.BENCH_ARGO_CONTROLLER === '1';
  const state = await startCluster({ dir: join(dir, 'kube'), ownerPid: process.pid, argo: withController });
  if (!withController)
    await installArgo({ dir: state.dir, cache: state.cache, kubectl: state.kubectl, adminKubeconfig: state.kubeconfigs.admin });
  say(`kube-apiserver on ${state.server}, Argo's CRDs installed${withController ? ', workflow-controller running' : ', no controller'}`);
  return {
    admin: state.kubeconfigs.admin,
    kubectl: state.kubectl,
    controller: withController ? 'running (BENCH_ARGO_CONTROLLER=1)' : 'not running (CRDs only)',
    /** CPU of kube-apiserver and etcd together. */
    cpuMs: () => {
      const api = cpuOfPid(state.processes.apiserver?.pid);
      const etcd = cpuOfPid(state.processes.etcd?.pid);
      return api === undefined || etcd === undefined ? undefined : api + etcd;
    },
    stop: () => stopCluster(state),
  };
}

/** A fresh namespace with deploy/ in it; returns it and a kubeconfig for the investigator's ServiceAccount. */
async function namespaceWithDeploy(kube) {
  const namespace = `bench-${randomBytes(3).toString('hex')}`;
  const run = (args, input) => kubectlRun(kube.kubectl, kube.admin, args, { input });
  await run(['create', 'namespace', namespace]);
  const manifests = parseAllDocuments((await run(['kustomize', DEPLOY])).stdout)
    .map((doc) => doc.toJS())
    .filter(Boolean);
  for (const m of manifests) {
    m.metadata.namespace = namespace;
    for (const subject of m.subjects ?? []) subject.namespace = namespace;
  }
  await run(['apply', '-n', namespace, '-f', '-'], manifests.map((m) => stringify(m)).join('---\n'));
  const token = (await run(['create', 'token', 'thoth-investigator', '-n', namespace, '--duration', '3600s'])).stdout.trim();
  const admin = parseYaml(readFileSync(kube.admin, 'utf8'));
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'bench', cluster: admin.clusters[0].cluster }],
    users: [{ name: 'thoth-investigator', user: { token } }],
    contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'thoth-investigator', namespace } }],
    'current-context': 'bench',
  };
  const kubeconfig = join(dir, `${namespace}.kubeconfig`);
  writeFileSync(kubeconfig, stringify(config), { mode: 0o600 });
  return { namespace, kubeconfig };
}

async function workflowsIn(kube, namespace) {
  const { stdout } = await kubectlRun(
    kube.kubectl,
    kube.admin,
    ['get', 'workflows.argoproj.io', '-n', namespace, '-o', 'name', '--chunk-size', '500'],
    { timeoutMs: 300_000 },
  );
  return stdout.split('\n').filter(Boolean).length;
}

// ---------------------------------------------------------------- figures

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

/**
 * Each processed record's commit time: the `committed` event that follows its `processed` event.
 * `origin(e)` gives the moment the record's latency counts from.
 */
function figures(events, origin) {
  const latencies = [];
  let pending = [];
  let firstReceived;
  let lastCommitted;
  let processed = 0;
  let scheduled = 0;
  let deadLetters = 0;
  for (const e of events) {
    const at = Date.parse(e.ts);
    if (e.event === 'received' && firstReceived === undefined) firstReceived = at;
    if (e.event === 'scheduled') scheduled++;
    if (e.event === 'dead-letter') deadLetters++;
    if (e.event === 'processed' && e.type === 'unresolved-package') {
      processed++;
      pending.push(e);
    }
    if (e.event === 'committed') {
      for (const p of pending) latencies.push(at - origin(p));
      if (pending.length) lastCommitted = at;
      pending = [];
    }
  }
  if (pending.length) throw new Error(`${pending.length} processed record(s) without a commit after them`);
  latencies.sort((a, b) => a - b);
  return {
    processed,
    scheduled,
    deadLetters,
    firstReceived,
    steadyMs: lastCommitted - firstReceived,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: latencies.at(-1),
  };
}

async function check(label, kube, namespace, f, count, perMessage) {
  const expected = count * perMessage;
  if (f.processed !== count) throw new Error(`${label}: ${f.processed} messages processed, expected ${count}`);
  if (f.deadLetters) throw new Error(`${label}: ${f.deadLetters} dead letter(s)`);
  if (f.scheduled !== expected) throw new Error(`${label}: ${f.scheduled} workflows reported created, expected ${expected}`);
  const found = await workflowsIn(kube, namespace);
  if (found !== expected) throw new Error(`${label}: ${found} Workflows in namespace ${namespace}, expected ${expected}`);
  return found;
}

const INVESTIGATE = (kubeconfig, namespace, maxInFlight) => [
  'investigate',
  '--workflows',
  'cluster',
  '--kubeconfig',
  kubeconfig,
  '--namespace',
  namespace,
  '--port',
  'none',
  '-o',
  'ndjson',
  '--max-in-flight',
  String(maxInFlight),
];

const rows = [];
function row(r) {
  rows.push(r);
  say(
    `${r.broker} ${r.stream} ${r.mode} max-in-flight ${r.maxInFlight}: ${r.count} messages, ${r.workflows} workflows, ${r.wallRate ?? '-'} msg/s wall, ${r.steadyRate} steady, p50 ${r.p50} p99 ${r.p99} max ${r.max} ms, CPU ${r.cpu} + ${r.apiCpu} ms/msg`,
  );
}
const rate = (ms, count = N) => Math.round((count / ms) * 1000);
/** CPU ms per message of the investigator and of the API server (with etcd) during a run. */
const perMessage = (ms, count) => (ms === undefined ? '-' : (ms / count).toFixed(1));

/** Runs the investigator; adds its CPU time and the API server's (with etcd) during the run. */
async function measured(kube, run) {
  const before = kube.cpuMs();
  const r = await run.done;
  const after = kube.cpuMs();
  return { ...r, apiCpuMs: before === undefined || after === undefined ? undefined : after - before };
}

async function backlogFile(kube, stream, path, maxInFlight) {
  const { namespace, kubeconfig } = await namespaceWithDeploy(kube);
  const r = await measured(
    kube,
    thoth(join(dir, `file-${namespace}.db`), [...INVESTIGATE(kubeconfig, namespace, maxInFlight), '--from', path], {}, { cpu: true }),
  );
  return backlogRow(kube, namespace, r, { broker: 'file (--from)', what: '--from', stream, maxInFlight, wallMs: r.ms });
}

/** A backlog run's row of the table, once its workflows are counted; returns its steady rate. */
async function backlogRow(kube, namespace, r, { broker, what, stream, maxInFlight, wallMs }) {
  const f = figures(r.events, () => r.startedAt);
  const workflows = await check(what, kube, namespace, f, N, STREAMS[stream].perMessage);
  row({
    broker,
    stream,
    mode: 'backlog',
    maxInFlight,
    count: N,
    workflows,
    wallMs,
    wallRate: rate(wallMs),
    startMs: f.firstReceived - r.startedAt,
    steadyRate: rate(f.steadyMs),
    cpu: perMessage(r.cpuMs, N),
    apiCpu: perMessage(r.apiCpuMs, N),
    ...f,
  });
  return rate(f.steadyMs);
}

/** The broker's flags and environment for a run: the embedded broker in `db`, or Kafka under a deployment of its own. */
function brokerOf(kind, db) {
  if (kind === 'embedded') return { kind, db, flags: ['--broker', 'embedded'], env: {}, idle: IDLE_S, group: [] };
  const deployment = `b${randomUUID().slice(0, 8)}`;
  return {
    kind,
    db,
    flags: ['--deployment-name', deployment],
    env: { KAFKA_BOOTSTRAP_SERVERS: bootstrap },
    idle: KAFKA_IDLE_S,
    group: ['--group', `bench-${deployment}`],
  };
}
const brokerTitle = (kind) => (kind === 'embedded' ? 'embedded broker' : 'Kafka');

async function backlogBroker(kube, kind, stream, path, maxInFlight) {
  const { namespace, kubeconfig } = await namespaceWithDeploy(kube);
  const b = brokerOf(kind, join(dir, `${kind}-${namespace}.db`));
  await thoth(b.db, [...b.flags, 'replay', path], b.env).done;
  const args = [...b.flags, ...INVESTIGATE(kubeconfig, namespace, maxInFlight), '--until-idle', String(b.idle), ...b.group];
  const r = await measured(kube, thoth(b.db, args, b.env, { cpu: true }));
  return backlogRow(kube, namespace, r, {
    broker: brokerTitle(kind),
    what: `${kind} backlog`,
    stream,
    maxInFlight,
    wallMs: r.ms - b.idle * 1000,
  });
}

/**
 * The investigator runs while `replay --rate` publishes the first `count` messages of the stream;
 * latency from each record's timestamp in the broker (its publish).
 */
async function paced(kube, kind, stream, path, maxInFlight, perSecond, count) {
  const { namespace, kubeconfig } = await namespaceWithDeploy(kube);
  const b = brokerOf(kind, join(dir, `paced-${kind}-${namespace}.db`));
  const part = join(dir, `paced-${namespace}.ndjson`);
  writeFileSync(part, `${readFileSync(path, 'utf8').split('\n').slice(0, count).join('\n')}\n`);
  // On Kafka, time for the group's join after the knowledge topic is read (the log says nothing of it).
  const joinS = kind === 'kafka' ? KAFKA_JOIN_S : 0;
  // Long enough an idle wait that the run does not end before the first record is published.
  const idle = b.idle + 3 + joinS;
  const run = thoth(
    b.db,
    [...b.flags, ...INVESTIGATE(kubeconfig, namespace, maxInFlight), '--until-idle', String(idle), ...b.group],
    b.env,
    { cpu: true },
  );
  await run.until((e) => e.event === 'knowledge' && e.state === 'caught-up');
  await sleep(joinS * 1000);
  const before = kube.cpuMs();
  // A replay has a cache of its own; on the embedded broker it publishes into the investigator's log.
  const publish = kind === 'embedded' ? ['--broker', 'embedded', '--db', b.db] : b.flags;
  await thoth(join(dir, `replay-${namespace}.db`), [...publish, 'replay', '--rate', String(perSecond), part], b.env).done;
  const r = await run.done;
  const after = kube.cpuMs();
  const tail = await thoth(
    join(dir, `tail-${namespace}.db`),
    [...publish, 'tail', '--all', '--from-beginning', '--exit-at-end', '-o', 'ndjson'],
    b.env,
  ).done;
  const timestamps = new Map();
  for (const line of tail.stdout.split('\n')) {
    if (!line) continue;
    const record = JSON.parse(line);
    if (!String(record.topic).endsWith(TOPIC)) continue;
    timestamps.set(
      `${record.partition}:${record.offset}`,
      typeof record.timestamp === 'number' ? record.timestamp : Date.parse(record.timestamp),
    );
  }
  if (timestamps.size !== count) throw new Error(`tail read ${timestamps.size} records back, expected ${count}`);
  const f = figures(r.events, (e) => {
    const at = timestamps.get(`${e.partition}:${e.offset}`);
    if (at === undefined) throw new Error(`no timestamp for ${e.topic}[${e.partition}]@${e.offset}`);
    return at;
  });
  const workflows = await check(`${kind} paced`, kube, namespace, f, count, STREAMS[stream].perMessage);
  row({
    broker: brokerTitle(kind),
    stream,
    mode: `paced, ${perSecond}/s`,
    maxInFlight,
    count,
    workflows,
    steadyRate: rate(f.steadyMs, count),
    cpu: '-',
    apiCpu: before === undefined || after === undefined ? '-' : perMessage(after - before, count),
    ...f,
  });
}

// ---------------------------------------------------------------- the runs

const commit = await new Promise((resolve) => {
  const git = spawn('git', ['rev-parse', '--short', 'HEAD'], { cwd: DEPLOY });
  let out = '';
  git.stdout.on('data', (c) => (out += c));
  git.on('exit', () => resolve(out.trim() || 'unknown'));
  git.on('error', () => resolve('unknown'));
});
const loadBefore = loadavg();
let kube;
let failed = false;
try {
  kube = await cluster();
  const paths = { one: writeStream('one'), three: writeStream('three') };
  const only = (process.env.BENCH_BROKERS ?? 'file,embedded,kafka').split(',');
  const brokers = ['embedded', ...(bootstrap ? ['kafka'] : [])].filter((b) => only.includes(b));
  const onlyStreams = (process.env.BENCH_STREAMS ?? 'one,three').split(',');
  const skipPaced = process.env.BENCH_PACED === '0';
  for (const stream of onlyStreams) {
    const path = paths[stream];
    if (only.includes('file'))
      for (const maxInFlight of stream === 'three' ? [1, 8] : [8]) await backlogFile(kube, stream, path, maxInFlight);
    for (const kind of brokers) {
      const reached = {};
      for (const maxInFlight of stream === 'three' ? [1, 8] : [8])
        reached[maxInFlight] = await backlogBroker(kube, kind, stream, path, maxInFlight);
      if (skipPaced) continue;
      const perSecond = Number(process.env.BENCH_RATE ?? Math.max(1, Math.floor(reached[8] / 2)));
      // About BENCH_PACED_S seconds of publishing (default 30), at most the whole stream.
      const count = Math.min(N, Math.max(50, Math.round(perSecond * Number(process.env.BENCH_PACED_S ?? 30))));
      for (const maxInFlight of stream === 'three' ? [1, 8] : [8]) await paced(kube, kind, stream, path, maxInFlight, perSecond, count);
    }
  }
} catch (error) {
  failed = true;
  say(error instanceof Error ? error.message : String(error));
} finally {
  await kube?.stop().catch((error) => say(`stopping the cluster: ${error.message}`));
  rmSync(dir, { recursive: true, force: true });
}

const loadAfter = loadavg();
console.log(
  `Investigator against the loopback kube-apiserver: ${N} unresolved-package messages a run, --workflows cluster, SQLite cache in ${tmpdir()}`,
);
console.log(
  `${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, Node ${process.version}, commit ${commit}, load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(1)).join(' ')} after; Argo's controller ${kube?.controller ?? 'not started'}; the investigator as deploy/'s ServiceAccount (deploy/investigator/role.yaml)${bootstrap ? '' : '; Kafka skipped (KAFKA_BOOTSTRAP_SERVERS not set)'}\n`,
);
console.log(
  '| broker | stream | run | --max-in-flight | messages | workflows in the namespace | wall (ms) | msg/s wall | start-up (ms) | msg/s steady | latency p50 (ms) | p99 (ms) | max (ms) | CPU ms/msg thoth | CPU ms/msg API server + etcd |',
);
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.broker} | ${STREAMS[r.stream].title} | ${r.mode} | ${r.maxInFlight} | ${r.count} | ${r.workflows} | ${r.wallMs?.toFixed(0) ?? '-'} | ${r.wallRate ?? '-'} | ${r.startMs ?? '-'} | ${r.steadyRate} | ${r.p50} | ${r.p99} | ${r.max} | ${r.cpu} | ${r.apiCpu} |`,
  );
}
if (failed) process.exitCode = 1;
