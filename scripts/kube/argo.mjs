/**
 * Argo Workflows on the loopback cluster: its full-schema CRDs applied server-side, the
 * controller's namespace, ServiceAccount, RBAC and ConfigMap, and the workflow-controller itself,
 * run inside a network namespace that has only loopback (`unshare -n`). The controller looks up
 * image entrypoints in remote registries when a template has no command and listens on all
 * interfaces; in there it can do neither beyond this machine. Its only way out is a Unix socket
 * to the API server (bridge.mjs).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argoFiles } from './build.mjs';
import { writeKubeconfig } from './pki.mjs';
import { sleep, startDetached } from './processes.mjs';

export const ARGO_NAMESPACE = 'argo';
const BRIDGE = fileURLToPath(new URL('./bridge.mjs', import.meta.url));

/** Runs kubectl with `kubeconfig`; rejects with its stderr. Output never includes a token: kubectl does not print them. */
export function kubectlRun(kubectl, kubeconfig, args, { input, timeoutMs = 60_000, signal } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(kubectl, ['--kubeconfig', kubeconfig, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, signal }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kubectl ${args.slice(0, 3).join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve({ stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

const CONFIGMAP = `# The controller's configuration (https://argo-workflows.readthedocs.io/en/latest/workflow-controller-configmap/).
# Nothing runs containers on this cluster: scripts/kube/kubelet.mjs plays kubelet and executor.
apiVersion: v1
kind: ConfigMap
metadata:
  name: workflow-controller-configmap
data:
  # No artifact repository: thoth's templates pass values as parameters and environment only.
  executor: |
    imagePullPolicy: IfNotPresent
`;

/** Installs CRDs, namespace, RBAC and ConfigMap; returns once the CRDs are Established. */
export async function installArgo({ dir, cache, kubectl, adminKubeconfig, signal }) {
  const argo = argoFiles(cache);
  const install = join(dir, 'argo-install');
  mkdirSync(install, { recursive: true });
  const rbac = readdirSync(argo.rbac).filter((f) => f.endsWith('.yaml'));
  for (const file of rbac) copyFileSync(join(argo.rbac, file), join(install, file));
  writeFileSync(join(install, 'configmap.yaml'), CONFIGMAP);
  writeFileSync(join(install, 'namespace.yaml'), `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ARGO_NAMESPACE}\n`);
  // kustomize's namespace also fills the ClusterRoleBinding's ServiceAccount subject, as Argo's own install relies on.
  writeFileSync(
    join(install, 'kustomization.yaml'),
    ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', `namespace: ${ARGO_NAMESPACE}`, 'resources:', ...['namespace.yaml', 'configmap.yaml', ...rbac].map((f) => `  - ${f}`), ''].join('\n'),
  );
  const run = (args, timeoutMs) => kubectlRun(kubectl, adminKubeconfig, args, { signal, timeoutMs });
  // Server-side apply is idempotent: on a machine so busy that an apply outlives its time limit, it is tried again.
  const apply = async (args) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(['apply', '--server-side', '--field-manager', 'thoth-loopback', ...args], 180_000);
      } catch (error) {
        if (attempt >= 3 || signal?.aborted) throw error;
        process.stderr.write(`kube: ${error.message.split('\n')[0]}; trying again (${attempt + 1}/3)\n`);
      }
    }
  };
  // The CRDs are too big for client-side apply's last-applied annotation. The API server spends
  // seconds of CPU on each of the four big ones (about 2.5 MB of schema each): most of `start`.
  await apply(['-f', argo.crds]);
  await apply(['-k', install]);
  // (kubectl wait fails at once on a CRD whose status has no conditions yet, so poll.)
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { stdout } = await run(['get', '-f', argo.crds, '-o', 'json']);
    const established = (item) => item.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    if (JSON.parse(stdout).items.every(established)) return;
    if (Date.now() > deadline) throw new Error("Argo's CRDs were not Established within 60s");
    signal?.throwIfAborted();
    await sleep(200);
  }
}

/** A token for the controller's ServiceAccount (TokenRequest) and a kubeconfig that uses it. */
export async function controllerKubeconfig({ dir, kubectl, adminKubeconfig, server, caFile }) {
  const { stdout } = await kubectlRun(kubectl, adminKubeconfig, ['create', 'token', 'argo', '-n', ARGO_NAMESPACE, '--duration', '48h']);
  return writeKubeconfig(join(dir, 'controller.kubeconfig'), { server, caFile, user: 'argo', token: stdout.trim() });
}

const quote = (text) => `'${String(text).replaceAll("'", "'\\''")}'`;

/**
 * Starts the host half of the bridge and the controller in its own network namespace. Inside,
 * 127.0.0.1:<apiserver port> leads to the API server, so the controller's kubeconfig is the
 * same as one on the host would be.
 */
export function startController({ dir, cache, apiserverPort, kubeconfig, logs }) {
  const socket = join(dir, 'apiserver.sock');
  if (Buffer.byteLength(socket) > 100) throw new Error(`the state directory's path is too long for a Unix socket (${socket}); set THOTH_KUBE_STATE to a shorter one`);
  const bridge = startDetached(process.execPath, [BRIDGE, `unix:${socket}`, `tcp:127.0.0.1:${apiserverPort}`], { logFile: join(logs, 'bridge.log'), match: dir });
  const controllerArgs = [
    '--kubeconfig', kubeconfig,
    '--namespace', ARGO_NAMESPACE,
    '--configmap', 'workflow-controller-configmap',
    '--loglevel', 'info',
  ];
  const ready = join(dir, 'netns-bridge.ready');
  const script = [
    'set -e',
    'ip link set lo up',
    `${quote(process.execPath)} ${quote(BRIDGE)} ${quote(`tcp:127.0.0.1:${apiserverPort}`)} ${quote(`unix:${socket}`)} ${quote(ready)} &`,
    // Until the bridge listens (10 s at most), the controller would find nothing on the API server's port.
    `i=0; while [ ! -e ${quote(ready)} ]; do i=$((i + 1)); [ $i -lt 200 ]; sleep 0.05; done`,
    `exec ${quote(argoFiles(cache).controller)} ${controllerArgs.map(quote).join(' ')}`,
    '',
  ].join('\n');
  const scriptFile = join(dir, 'controller.sh');
  writeFileSync(scriptFile, script, { mode: 0o700 });
  // One controller, so no leader election (and no Lease to wait for). No proxy settings: it has only loopback.
  // A workflow is looked at again DEFAULT_REQUEUE_TIME after a change (10 s by default); 1 s is what
  // Argo's own test environment uses, and keeps a one-step workflow at about 2 s.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, LEADER_ELECTION_DISABLE: 'true', DEFAULT_REQUEUE_TIME: '1s' };
  const controller = startDetached('unshare', ['--net', '--', 'sh', scriptFile], { logFile: join(logs, 'workflow-controller.log'), env, match: dir });
  return { bridge, controller };
}
