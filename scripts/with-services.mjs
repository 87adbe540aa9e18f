#!/usr/bin/env node
/**
 * Runs a command with the services the tests use: `node scripts/with-services.mjs vitest run`.
 *
 *   Kafka       a local single-node broker (scripts/kafka.mjs), unless KAFKA_BOOTSTRAP_SERVERS
 *               names one; the command gets KAFKA_BOOTSTRAP_SERVERS
 *   Kubernetes  a loopback kube-apiserver with Argo's controller and the loopback kubelet
 *               (scripts/kube.mjs), unless THOTH_TEST_KUBECONFIG names one; the command gets
 *               THOTH_TEST_KUBECONFIG (admin), THOTH_TEST_KUBECONFIG_NO_RIGHTS,
 *               THOTH_TEST_KUBE_STATE (where pod outcome rules go), THOTH_TEST_KUBECTL and
 *               THOTH_TEST_KUBE_CACHE (the binaries, from which a test starts a bare API server of
 *               its own). To reuse a cluster from `node scripts/kube.mjs start`, export what it printed.
 *
 * Both start side by side and are stopped afterwards, also when the command fails or the run
 * is interrupted (and, through a watchdog, when this process is killed). Exits with the
 * command's exit code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAFKA_VERSION, startKafka, stopKafka } from './kafka.mjs';
import { ARGO_VERSION, KUBE_VERSION, clusterEnv, startCluster, stopCluster } from './kube.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (text) => process.stderr.write(`with-services: ${text}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

function run(command, env) {
  return new Promise((resolveRun) => {
    // Like `npm run`, so that `vitest` resolves to the project's copy when called directly.
    const path = [join(REPO, 'node_modules', '.bin'), env.PATH ?? ''].join(delimiter);
    const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env: { ...env, PATH: path } });
    let signals = 0;
    const forward = (signal) => {
      signals += 1;
      child.kill(signals > 1 ? 'SIGKILL' : signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.once('error', (error) => {
      say(`cannot run ${command[0]}: ${error.message}`);
      resolveRun(127);
    });
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolveRun(code ?? 128 + (constants.signals[signal] ?? 1));
    });
  });
}

/** Each service this run must start: { name, start() -> { env, note }, stop() }. */
function services(env, signal) {
  const list = [];
  if (env.KAFKA_BOOTSTRAP_SERVERS) say(`using the broker at KAFKA_BOOTSTRAP_SERVERS=${env.KAFKA_BOOTSTRAP_SERVERS}`);
  else {
    let broker;
    list.push({
      name: 'Kafka',
      async start() {
        broker = await startKafka(env, { stopWithProcess: true });
        return { env: { KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap }, note: `Kafka ${KAFKA_VERSION} started on ${broker.bootstrap} in ${seconds(broker.startedInMs)}` };
      },
      stop: () => broker && stopKafka(broker),
    });
  }
  if (env.THOTH_TEST_KUBECONFIG) say(`using the cluster of THOTH_TEST_KUBECONFIG=${env.THOTH_TEST_KUBECONFIG}`);
  else {
    let cluster;
    list.push({
      name: 'Kubernetes',
      async start() {
        const dir = mkdtempSync(join(tmpdir(), 'thoth-kube-'));
        cluster = await startCluster({ env, dir, signal, ownerPid: process.pid });
        return {
          env: clusterEnv(cluster),
          note: `Kubernetes ${KUBE_VERSION} on ${cluster.server}: API ready in ${seconds(cluster.readyMs)}, with Argo ${ARGO_VERSION} and the loopback kubelet in ${seconds(cluster.startedMs)}`,
        };
      },
      stop: () => cluster && stopCluster(cluster),
    });
  }
  return list;
}

async function main(command) {
  if (command.length === 0) {
    say('usage: node scripts/with-services.mjs <command> [args...]');
    return 2;
  }
  // A signal while the services start must still stop them: abort the cluster's start, stop everything once both settle.
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const wanted = services(process.env, abort.signal);
  const started = await Promise.allSettled(wanted.map((service) => service.start()));
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const stopAll = async () => {
    await Promise.all(wanted.map((service) => Promise.resolve(service.stop()).catch((error) => say(`stopping ${service.name}: ${error.message}`))));
    if (wanted.length) say(`stopped ${wanted.map((s) => s.name).join(' and ')}`);
  };
  try {
    if (abort.signal.aborted) {
      say('interrupted while the services started');
      return 130;
    }
    const failed = started.map((result, i) => ({ result, service: wanted[i] })).filter(({ result }) => result.status === 'rejected');
    for (const { result, service } of failed) say(`${service.name} did not start: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`);
    if (failed.length) return 1;
    let env = { ...process.env };
    for (const result of started) {
      say(result.value.note);
      env = { ...env, ...result.value.env };
    }
    return await run(command, env);
  } finally {
    await stopAll();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    say(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
