#!/usr/bin/env node
/**
 * A real Kubernetes API server with Argo Workflows on loopback, for tests and for users.
 *
 *   node scripts/kube.mjs fetch    build kube-apiserver, kubectl and Argo's workflow-controller once (cached by version)
 *   node scripts/kube.mjs start    start etcd, kube-apiserver, Argo and the loopback kubelet; print the kubeconfigs
 *   node scripts/kube.mjs status   print the running cluster's kubeconfigs, exit 1 when none runs
 *   node scripts/kube.mjs stop     stop everything and remove its state (the cached binaries stay)
 *
 * What runs (all on 127.0.0.1, random free ports, state in one directory):
 *   etcd v3.6.5, kube-apiserver v1.35.4 (--authorization-mode Node,RBAC, static
 *   tokens, openssl-made CA), Argo Workflows v4.0.5's full-schema CRDs and its workflow-controller
 *   in a network namespace with only loopback (scripts/kube/argo.mjs), and a kubelet that runs no
 *   containers but ends each pod as <state>/pod-rules/ says (scripts/kube/kubelet.mjs).
 *
 * `start` prints, and `status` prints again:
 *   THOTH_TEST_KUBECONFIG=<state>/admin.kubeconfig              system:masters
 *   THOTH_TEST_KUBECONFIG_NO_RIGHTS=<state>/no-rights.kubeconfig authenticated, no RBAC grants
 *   THOTH_TEST_KUBE_STATE=<state>                               pod rules, logs
 *   THOTH_TEST_KUBECTL=<cache>/kubernetes-v1.35.4/kubectl       the kubectl built with the server
 *   THOTH_TEST_KUBE_CACHE=<cache>                               the binaries (a test starts a bare API server of its own from them)
 *
 * Environment: THOTH_KUBE_CACHE (binaries, default .cache/kube in the repository; share it
 * between checkouts), THOTH_KUBE_STATE (state directory, default .cache/kube/state).
 * Needs: Go >= 1.25 (fetch), openssl, unshare and ip (util-linux, iproute2), root.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARGO_NAMESPACE, controllerKubeconfig, installArgo, startController } from './kube/argo.mjs';
import { ARGO_VERSION, ETCD_VERSION, KUBE_VERSION, etcdBinary, fetchKube, kubeBinaries } from './kube/build.mjs';
import { NODE_NAME, makePki, writeKubeconfig } from './kube/pki.mjs';
import { alive, freePorts, isOurs, sleep, startDetached, stopProcess, tail } from './kube/processes.mjs';

export { ARGO_VERSION, KUBE_VERSION };
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const KUBELET = fileURLToPath(new URL('./kube/kubelet.mjs', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const say = (text) => process.stderr.write(`kube: ${text}\n`);

export function cacheDir(env = process.env) {
  return resolve(env.THOTH_KUBE_CACHE || join(REPO, '.cache', 'kube'));
}

export function defaultStateDir(env = process.env) {
  return resolve(env.THOTH_KUBE_STATE || join(REPO, '.cache', 'kube', 'state'));
}

/** The variables tests read (test/support/cluster.ts). */
export function clusterEnv(state) {
  return {
    THOTH_TEST_KUBECONFIG: state.kubeconfigs.admin,
    THOTH_TEST_KUBECONFIG_NO_RIGHTS: state.kubeconfigs.noRights,
    THOTH_TEST_KUBE_STATE: state.dir,
    THOTH_TEST_KUBECTL: state.kubectl,
    THOTH_TEST_KUBE_CACHE: state.cache,
  };
}

export function readState(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

function writeState(state) {
  writeFileSync(join(state.dir, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
}

function requireCommands({ netns }) {
  const missing = ['openssl', ...(netns ? ['unshare', 'ip'] : [])].filter((cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0);
  if (missing.length) {
    throw new Error(`the test cluster needs ${missing.join(', ')} on PATH (Debian: apt-get install openssl util-linux iproute2)`);
  }
  if (!netns) return;
  // The controller must never reach beyond loopback: without a network namespace of its own it does not run at all.
  const probe = spawnSync('unshare', ['--net', '--', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`Argo's controller runs in a network namespace with only loopback, and \`unshare --net\` failed here (run as root): ${(probe.stderr || probe.error?.message || '').trim()}`);
  }
}

/** GET /readyz with the admin token: resolves true on 200. */
function ready(server, ca, token) {
  return new Promise((resolveReady) => {
    const url = new URL('/readyz', server);
    const req = request({ hostname: url.hostname, port: url.port, path: url.pathname, ca, headers: { authorization: `Bearer ${token}` }, timeout: 2000 }, (res) => {
      res.resume();
      resolveReady(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolveReady(false));
    req.end();
  });
}

async function waitFor(what, check, processes, { timeoutMs = READY_TIMEOUT_MS, signal } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    signal?.throwIfAborted();
    const dead = processes.find((p) => !alive(p.pid));
    if (dead || Date.now() > deadline) {
      const log = dead ? `${dead.name} exited; its log ends with:\n${tail(dead.logFile)}` : `not within ${timeoutMs / 1000}s; ${processes.map((p) => `${p.name} log ends with:\n${tail(p.logFile, 15)}`).join('\n')}`;
      throw new Error(`${what} failed: ${log}`);
    }
    await sleep(100);
  }
}

/**
 * Starts a cluster with its state in `dir` (emptied first) and resolves with the state once the
 * API server is ready, Argo's CRDs are established, the Node is registered and the controller
 * has started. On any failure, or when `signal` aborts, stops what it started.
 *
 * `argo: false` starts etcd and kube-apiserver alone (no Argo, no kubelet): a bare cluster, as a
 * test of "Argo is not installed" or "Argo's CRDs are older" needs, ready in about 3 s.
 * `cache` overrides THOTH_KUBE_CACHE (a test passes the cache of the cluster it runs beside).
 *
 * @param {{ env?: NodeJS.ProcessEnv, dir?: string, signal?: AbortSignal, ownerPid?: number, argo?: boolean, cache?: string }} [options]
 * @returns {Promise<{ dir: string, cache: string, server: string, kubectl: string, readyMs: number, startedMs: number, kubeconfigs: { admin: string, noRights: string }, processes: Record<string, unknown> }>}
 */
export async function startCluster({ env = process.env, dir = defaultStateDir(env), signal, ownerPid, argo: withArgo = true, cache: cacheOverride } = {}) {
  const cache = await fetchKube(cacheOverride ?? cacheDir(env));
  requireCommands({ netns: withArgo });
  const began = Date.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'logs'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'pod-rules'), { recursive: true });
  const logs = join(dir, 'logs');
  const { apiserver, kubectl } = kubeBinaries(cache);
  const state = { dir, cache, version: KUBE_VERSION, etcdVersion: ETCD_VERSION, argoVersion: withArgo ? ARGO_VERSION : null, kubectl, processes: {}, kubeconfigs: {} };
  const track = (name, proc, logFile) => {
    state.processes[name] = { ...proc, name, logFile };
    writeState(state);
    return state.processes[name];
  };
  writeState(state);
  if (ownerPid) startWatchdog(dir, ownerPid);
  try {
    const pki = makePki(dir);
    const [etcdPort, peerPort, apiPort] = await freePorts(3);
    const server = `https://127.0.0.1:${apiPort}`;
    state.server = server;
    const etcdLog = join(logs, 'etcd.log');
    const etcd = track('etcd', startDetached(etcdBinary(cache), [
      '--name', 'thoth-loopback', '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', `http://127.0.0.1:${etcdPort}`, '--advertise-client-urls', `http://127.0.0.1:${etcdPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `thoth-loopback=http://127.0.0.1:${peerPort}`,
      '--log-level', 'warn',
      // Throwaway data: no fsync (a loaded test machine's disk would otherwise set the pace).
      '--unsafe-no-fsync',
    ], { logFile: etcdLog, match: dir }), etcdLog);
    const apiLog = join(logs, 'kube-apiserver.log');
    const api = track('apiserver', startDetached(apiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      '--bind-address=127.0.0.1', `--secure-port=${apiPort}`, '--advertise-address=127.0.0.1',
      `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`,
      `--token-auth-file=${pki.tokenFile}`,
      '--authorization-mode=Node,RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
      '--service-cluster-ip-range=10.96.0.0/24',
      // The "kubernetes" Service would get 127.0.0.1 as its endpoint, which the API refuses.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ], { logFile: apiLog, match: dir }), apiLog);
    const ca = readFileSync(pki.ca);
    await waitFor('starting kube-apiserver', () => ready(server, ca, pki.tokens.admin.token), [etcd, api], { signal });
    state.readyMs = Date.now() - began;
    say(`API server ready in ${(state.readyMs / 1000).toFixed(1)}s`);
    state.kubeconfigs = {
      admin: writeKubeconfig(join(dir, 'admin.kubeconfig'), { server, caFile: pki.ca, user: 'admin', token: pki.tokens.admin.token }),
      noRights: writeKubeconfig(join(dir, 'no-rights.kubeconfig'), { server, caFile: pki.ca, user: 'no-rights', token: pki.tokens.noRights.token }),
    };
    writeState(state);
    if (!withArgo) {
      state.startedMs = state.readyMs;
      writeState(state);
      return state;
    }

    // The kubelet needs no Argo: it registers the Node while the CRDs are installed.
    writeFileSync(
      join(dir, 'kubelet.json'),
      JSON.stringify({
        server,
        ca: pki.ca,
        nodeName: NODE_NAME,
        nodeToken: pki.tokens.node.token,
        schedulerToken: pki.tokens.scheduler.token,
        accountsToken: pki.tokens.accounts.token,
        kubeletVersion: KUBE_VERSION,
      }),
      { mode: 0o600 },
    );
    const kubeletLog = join(logs, 'kubelet.log');
    const kubelet = track('kubelet', startDetached(process.execPath, [KUBELET, dir], { logFile: kubeletLog, match: dir }), kubeletLog);

    await installArgo({ dir, cache, kubectl, adminKubeconfig: state.kubeconfigs.admin, signal });
    signal?.throwIfAborted();
    const controllerConfig = await controllerKubeconfig({ dir, kubectl, adminKubeconfig: state.kubeconfigs.admin, server, caFile: pki.ca });
    const { bridge, controller } = startController({ dir, cache, apiserverPort: apiPort, kubeconfig: controllerConfig, logs });
    const bridged = track('bridge', bridge, join(logs, 'bridge.log'));
    const argo = track('controller', controller, join(logs, 'workflow-controller.log'));

    const all = [etcd, api, bridged, argo, kubelet];
    await waitFor('registering the loopback Node', async () => existsSync(join(dir, 'kubelet.ready')), all, { signal });
    await waitFor('starting the workflow-controller', async () => controllerStarted(argo.logFile), all, { signal });
    state.startedMs = Date.now() - began;
    writeState(state);
    return state;
  } catch (error) {
    await stopCluster(state);
    throw error;
  }
}

/** The controller logs this once its informers have synced, right before its workers start. */
function controllerStarted(logFile) {
  try {
    return /Starting CronWorkflow controller/.test(readFileSync(logFile, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Stops every process `state` names (only while /proc says it is still ours) and removes the
 * state directory; with THOTH_KUBE_KEEP_LOGS set, its logs/ moves to <state>.logs first.
 */
export async function stopCluster(state, env = process.env) {
  const order = ['kubelet', 'controller', 'bridge', 'apiserver', 'etcd'];
  for (const name of order) {
    const proc = state.processes?.[name];
    if (proc) await stopProcess(proc);
  }
  if (env.THOTH_KUBE_KEEP_LOGS && existsSync(join(state.dir, 'logs'))) {
    rmSync(`${state.dir}.logs`, { recursive: true, force: true });
    renameSync(join(state.dir, 'logs'), `${state.dir}.logs`);
  }
  rmSync(state.dir, { recursive: true, force: true });
}

/**
 * A detached watchdog: once `ownerPid` is gone it stops the cluster, so a test run killed hard
 * leaves nothing behind on a shared machine. It exits by itself when the state is removed.
 */
function startWatchdog(dir, ownerPid) {
  const script = fileURLToPath(import.meta.url);
  startDetached(process.execPath, [script, 'stop-when-gone', String(ownerPid)], { logFile: '/dev/null', env: { ...process.env, THOTH_KUBE_STATE: dir } });
}

async function stopWhenGone(dir, ownerPid) {
  while (existsSync(join(dir, 'state.json'))) {
    if (!alive(ownerPid)) {
      const state = readState(dir);
      if (state) await stopCluster(state);
      return;
    }
    await sleep(1000);
  }
}

function printEnv(state) {
  for (const [name, value] of Object.entries(clusterEnv(state))) process.stdout.write(`${name}=${value}\n`);
}

/** A start that finished and whose API server still runs. */
function running(state) {
  return Boolean(state?.startedMs && isOurs(state.processes?.apiserver ?? {}));
}

async function main(command, args) {
  const env = process.env;
  const dir = defaultStateDir(env);
  switch (command) {
    case 'fetch': {
      const began = Date.now();
      await fetchKube(cacheDir(env));
      say(`binaries in ${cacheDir(env)} (${((Date.now() - began) / 1000).toFixed(0)}s)`);
      return 0;
    }
    case 'start': {
      const existing = readState(dir);
      if (running(existing)) {
        say(`already running (${existing.server}); stop it with: node scripts/kube.mjs stop`);
        printEnv(existing);
        return 0;
      }
      // A stale state (a crash, or a start interrupted before it could clean up): stop what is left of it.
      if (existing) await stopCluster(existing);
      const abort = new AbortController();
      const onSignal = () => abort.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const state = await startCluster({ env, dir, signal: abort.signal });
        say(`Kubernetes ${KUBE_VERSION} on ${state.server}: API ready in ${(state.readyMs / 1000).toFixed(1)}s, Argo ${ARGO_VERSION} and the loopback kubelet in ${(state.startedMs / 1000).toFixed(1)}s (logs in ${join(dir, 'logs')})`);
        printEnv(state);
        return 0;
      } catch (error) {
        if (abort.signal.aborted) {
          say('interrupted: stopped what had started');
          return 130;
        }
        throw error;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }
    case 'status': {
      const state = readState(dir);
      if (!running(state)) {
        say(state ? `no cluster running (a stale state in ${dir}: \`node scripts/kube.mjs stop\` cleans it up)` : 'no cluster running');
        return 1;
      }
      printEnv(state);
      return 0;
    }
    case 'stop': {
      const state = readState(dir);
      if (!state) {
        rmSync(dir, { recursive: true, force: true });
        say('no cluster running');
        return 0;
      }
      await stopCluster(state);
      say('stopped');
      return 0;
    }
    case 'stop-when-gone':
      await stopWhenGone(dir, Number(args[0]));
      return 0;
    default:
      process.stderr.write('usage: node scripts/kube.mjs fetch|start|stop|status\n');
      return 2;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv[2], process.argv.slice(3)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      say(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
