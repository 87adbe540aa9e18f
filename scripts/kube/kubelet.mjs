#!/usr/bin/env node
/**
 * `node kubelet.mjs STATE_DIR`: plays scheduler, kubelet and Argo's executor for the loopback
 * cluster, where nothing runs containers, and the one part of kube-controller-manager pods need,
 * each through the API under the identity the real component has:
 *
 *   ServiceAccount controller (system:kube-controller-manager)  a `default` ServiceAccount in
 *     every namespace, which a pod that names none runs as
 *   scheduler (system:kube-scheduler)  binds every unscheduled pod to the one Node
 *   kubelet (system:node:<node>, Node authorizer)  registers a Ready Node; moves each pod bound
 *     to it to Running and then Succeeded or Failed with init/container statuses; confirms
 *     deletions (podGC) as a kubelet does once the containers are gone
 *   executor (the pod's own ServiceAccount, token from TokenRequest bound to the pod, as the
 *     kubelet mounts it)  creates the pod's WorkflowTaskResult and patches it complete, as the
 *     wait container of Argo >= 3.4 does, so the real controller moves the Workflow on.
 *     If it may not (RBAC), the wait container fails with the API's answer, as argoexec's does.
 *
 * Outcomes come from <state>/pod-rules/ (pod-rules.mjs). Settings from <state>/kubelet.json (0600).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient } from './api.mjs';
import { podFacts, ruleFor } from './pod-rules.mjs';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node kubelet.mjs STATE_DIR\n');
  process.exit(2);
}
const settings = JSON.parse(readFileSync(join(dir, 'kubelet.json'), 'utf8'));
const ca = readFileSync(settings.ca);
const scheduler = apiClient({ server: settings.server, ca, token: settings.schedulerToken });
const kubelet = apiClient({ server: settings.server, ca, token: settings.nodeToken });
const accounts = apiClient({ server: settings.server, ca, token: settings.accountsToken });
const node = settings.nodeName;
const stop = new AbortController();
const log = (text) => process.stderr.write(`${new Date().toISOString()} ${text}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const MERGE = 'application/merge-patch+json';
const pods = new Map(); // uid -> 'running' | 'done'

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => stop.abort());

async function registerNode() {
  try {
    await kubelet.call('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: node, labels: { 'kubernetes.io/hostname': node, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' } },
    });
  } catch (error) {
    if (error.status !== 409) throw error;
  }
  const resources = { cpu: '16', memory: '64Gi', pods: '500', 'ephemeral-storage': '100Gi' };
  await kubelet.call('PATCH', `/api/v1/nodes/${node}/status`, {
    status: {
      capacity: resources,
      allocatable: resources,
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: node }],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'loopback kubelet (runs no containers)', lastHeartbeatTime: now(), lastTransitionTime: now() }],
      nodeInfo: { kubeletVersion: settings.kubeletVersion, operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'none://0', kernelVersion: '', osImage: '', machineID: '', systemUUID: '', bootID: '', kubeProxyVersion: '' },
    },
  }, MERGE);
}

async function bind(pod) {
  if (pod.spec.nodeName || pod.metadata.deletionTimestamp || pods.has(`bind:${pod.metadata.uid}`)) return;
  pods.set(`bind:${pod.metadata.uid}`, 'bound');
  const { namespace, name } = pod.metadata;
  try {
    await scheduler.call('POST', `/api/v1/namespaces/${namespace}/pods/${name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: node } });
  } catch (error) {
    if (error.status !== 404 && error.status !== 409) log(`binding ${namespace}/${name}: ${error.message}`);
  }
}

const containerIds = (pod, name) => ({ containerID: `loopback://${pod.metadata.uid}/${name}`, imageID: '' });

function statusOf(pod, { phase, main, wait }) {
  const running = (c) => ({ name: c.name, image: c.image, ...containerIds(pod, c.name), ready: true, started: true, restartCount: 0, state: { running: { startedAt: now() } } });
  const terminated = (c, { exitCode = 0, message } = {}) => ({
    name: c.name,
    image: c.image,
    ...containerIds(pod, c.name),
    ready: false,
    started: false,
    restartCount: 0,
    state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', ...(message ? { message } : {}), startedAt: now(), finishedAt: now(), ...containerIds(pod, c.name) } },
  });
  const finished = phase !== 'Running';
  const stateOf = (c) => {
    if (!finished) return running(c);
    return terminated(c, c.name === 'wait' ? wait : c.name === 'main' ? main : {});
  };
  const condition = (type, status) => ({ type, status, lastTransitionTime: now() });
  return {
    phase,
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    podIP: '127.0.0.1',
    podIPs: [{ ip: '127.0.0.1' }],
    startTime: pod.status?.startTime ?? now(),
    conditions: [condition('PodScheduled', 'True'), condition('Initialized', 'True'), condition('ContainersReady', finished ? 'False' : 'True'), condition('Ready', finished ? 'False' : 'True')],
    initContainerStatuses: (pod.spec.initContainers ?? []).map((c) => terminated(c)),
    containerStatuses: pod.spec.containers.map(stateOf),
  };
}

async function setStatus(pod, status) {
  const { namespace, name } = pod.metadata;
  await kubelet.call('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, { status }, MERGE);
}

/** What the wait container of Argo >= 3.4 does with the pod's own token: create the task result, later mark it complete. */
function executorFor(pod) {
  const wait = pod.spec.containers.find((c) => c.name === 'wait');
  if (!wait) return undefined;
  const env = Object.fromEntries((wait.env ?? []).map((e) => [e.name, e.value]));
  const { namespace } = pod.metadata;
  const nodeId = env.ARGO_NODE_ID ?? pod.metadata.annotations?.['workflows.argoproj.io/node-id'];
  const path = `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/workflowtaskresults`;
  let client;
  const token = async () => {
    if (client) return client;
    // The Node authorizer allows this only once it knows the pod is bound here: retry briefly.
    for (let attempt = 0; ; attempt += 1) {
      try {
        const review = await kubelet.call('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${pod.spec.serviceAccountName || 'default'}/token`, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid } },
        });
        client = apiClient({ server: settings.server, ca, token: review.status.token });
        return client;
      } catch (error) {
        if (error.status !== 403 || attempt >= 20) throw error;
        await sleep(100);
      }
    }
  };
  return {
    async initialize() {
      const api = await token();
      try {
        await api.call('POST', path, {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'WorkflowTaskResult',
          metadata: {
            name: nodeId,
            labels: { 'workflows.argoproj.io/workflow': env.ARGO_WORKFLOW_NAME, 'workflows.argoproj.io/report-outputs-completed': 'false' },
            ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', name: env.ARGO_WORKFLOW_NAME, uid: env.ARGO_WORKFLOW_UID }],
          },
        });
      } catch (error) {
        if (error.status !== 409) throw error;
      }
    },
    async finalize(exitCode) {
      const api = await token();
      await api.call('PATCH', `${path}/${nodeId}`, { outputs: { exitCode: String(exitCode) } }, MERGE);
      await api.call('PATCH', `${path}/${nodeId}`, { metadata: { labels: { 'workflows.argoproj.io/report-outputs-completed': 'true' } } }, MERGE);
    },
  };
}

async function run(pod) {
  const { uid, namespace, name } = pod.metadata;
  pods.set(uid, 'running');
  const rule = ruleFor(dir, podFacts(pod), log);
  log(`pod ${namespace}/${name}: running, then ${rule.outcome}${rule.file ? ` (rule ${rule.file})` : ''}`);
  await setStatus(pod, statusOf(pod, { phase: 'Running' }));
  const executor = executorFor(pod);
  let executorError;
  try {
    await executor?.initialize();
  } catch (error) {
    executorError = error;
  }
  if (rule.outcome === 'Running') return;
  await sleep(rule.delayMs ?? 0);
  if (pods.get(uid) !== 'running') return; // deleted meanwhile
  const exitCode = rule.outcome === 'Failed' ? (rule.exitCode ?? 1) : 0;
  try {
    if (!executorError) await executor?.finalize(exitCode);
  } catch (error) {
    executorError = error;
  }
  if (executorError) log(`pod ${namespace}/${name}: the executor could not report: ${executorError.message}`);
  const main = { exitCode, message: rule.message };
  const wait = executorError ? { exitCode: 1, message: executorError.message } : { exitCode: 0 };
  const phase = exitCode === 0 && !executorError ? 'Succeeded' : 'Failed';
  await setStatus(pod, statusOf(pod, { phase, main, wait }));
  pods.set(uid, 'done');
  log(`pod ${namespace}/${name}: ${phase}`);
}

async function defaultServiceAccount(namespace) {
  if (namespace.status?.phase === 'Terminating') return;
  const name = namespace.metadata.name;
  try {
    await accounts.call('POST', `/api/v1/namespaces/${name}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  } catch (error) {
    if (error.status !== 409 && error.status !== 404) log(`ServiceAccount default in ${name}: ${error.message}`);
  }
}

async function confirmDeletion(pod) {
  const { uid, namespace, name } = pod.metadata;
  if (pods.get(uid) === 'deleting') return;
  pods.set(uid, 'deleting');
  try {
    await kubelet.call('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } });
  } catch (error) {
    if (error.status !== 404 && error.status !== 409) log(`deleting ${namespace}/${name}: ${error.message}`);
  }
}

function onPod(type, pod) {
  const { uid, namespace, name } = pod.metadata;
  if (type === 'DELETED') return void pods.delete(uid);
  if (pod.metadata.deletionTimestamp) return void confirmDeletion(pod);
  if (pods.has(uid) || ['Succeeded', 'Failed'].includes(pod.status?.phase)) return;
  run(pod).catch((error) => {
    pods.set(uid, 'done');
    log(`pod ${namespace}/${name}: ${error.message}`);
  });
}

async function main() {
  await registerNode();
  writeFileSync(join(dir, 'kubelet.ready'), `${process.pid}\n`);
  log(`node ${node} registered`);
  await Promise.all([
    accounts.informer('/api/v1/namespaces', (type, namespace) => type === 'ADDED' && defaultServiceAccount(namespace), stop.signal),
    scheduler.informer('/api/v1/pods?fieldSelector=spec.nodeName%3D', (type, pod) => type !== 'DELETED' && bind(pod), stop.signal),
    kubelet.informer(`/api/v1/pods?fieldSelector=spec.nodeName%3D${node}`, onPod, stop.signal),
  ]);
}

main().then(
  () => process.exit(0),
  (error) => {
    log(`kubelet: ${error.message}`);
    process.exit(1);
  },
);
