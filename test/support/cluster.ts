/**
 * Tests against the real loopback cluster (scripts/kube.mjs): kube-apiserver 1.35 with RBAC,
 * Argo's CRDs and workflow-controller, and a kubelet that ends pods as the tests say.
 * `npm test` starts one (scripts/with-services.mjs) and exports THOTH_TEST_KUBECONFIG & co.;
 * these helpers never skip a test when it is missing, they fail and say how to run it.
 *
 * Every test works in a namespace of its own (createNamespace), so files run in parallel.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import type { Workflow } from '../../src/workflows/types.js';
import { eventually } from './eventually.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `cluster tests need ${name}: run them with npm test (it starts a loopback cluster), or export what \`node scripts/kube.mjs start\` prints`,
    );
  }
  return value;
}

/** The admin kubeconfig (system:masters). */
export const adminKubeconfig = (): string => required('THOTH_TEST_KUBECONFIG');
/** The admin kubeconfig's bearer token: tests check that thoth never prints it. */
export function adminToken(): string {
  return (parseYaml(readFileSync(adminKubeconfig(), 'utf8')) as Manifest).users[0].user.token as string;
}
/** A kubeconfig whose user is authenticated and granted nothing. */
export const noRightsKubeconfig = (): string => required('THOTH_TEST_KUBECONFIG_NO_RIGHTS');
/** The cluster's state directory (pod outcome rules live under it). */
const stateDir = (): string => required('THOTH_TEST_KUBE_STATE');
/** The kubectl built with the API server (same version); plain `kubectl` for a cluster of your own. */
const kubectlPath = (): string => process.env.THOTH_TEST_KUBECTL || 'kubectl';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl (admin unless `kubeconfig` says otherwise); resolves with its exit code, never rejects on a non-zero one. */
export function kubectl(args: string[], options: { kubeconfig?: string; input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      kubectlPath(),
      ['--kubeconfig', options.kubeconfig ?? adminKubeconfig(), ...args],
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(new Error(`kubectl ${args.join(' ')}: ${error.message}`));
        else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** kubectl that must succeed: rejects with its stderr otherwise. */
export async function kubectlOk(args: string[], options: { kubeconfig?: string; input?: string } = {}): Promise<string> {
  const result = await kubectl(args, options);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** A fresh namespace `<prefix>-<random>`; returns its name. */
export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`.slice(0, 63);
  await kubectlOk(['create', 'namespace', name]);
  return name;
}

export interface DeployOptions {
  /** Replace the verbs of deploy/investigator/role.yaml's rule. */
  investigatorVerbs?: string[];
  /** Replace the verbs of deploy/workflow-executor/role.yaml's rule. */
  executorVerbs?: string[];
  /**
   * Give each template container that has no `command` this one. Argo's controller looks an
   * image's entrypoint up in its registry when a template has none, which cannot work here
   * (nor in an air-gapped cluster); tests that run workflows through the controller set it.
   */
  containerCommand?: string[];
}

type Manifest = Record<string, any>;

/** deploy/ as `kubectl kustomize` renders it, moved into `namespace` (RoleBinding subjects included). */
export async function renderDeploy(namespace: string, options: DeployOptions = {}): Promise<Manifest[]> {
  const rendered = await kubectlOk(['kustomize', DEPLOY]);
  const manifests = parseAllDocuments(rendered)
    .map((doc) => doc.toJS() as Manifest)
    .filter(Boolean);
  for (const m of manifests) {
    m.metadata.namespace = namespace;
    for (const subject of m.subjects ?? []) subject.namespace = namespace;
    if (m.kind === 'Role' && m.metadata.name === 'thoth-investigator-workflows' && options.investigatorVerbs)
      m.rules[0].verbs = options.investigatorVerbs;
    if (m.kind === 'Role' && m.metadata.name === 'thoth-workflow-executor' && options.executorVerbs)
      m.rules[0].verbs = options.executorVerbs;
    if (m.kind === 'WorkflowTemplate' && options.containerCommand) {
      for (const template of m.spec.templates)
        if (template.container && !template.container.command) template.container.command = options.containerCommand;
    }
  }
  return manifests;
}

/** Applies deploy/ (rendered by renderDeploy) into `namespace`. */
export async function applyDeploy(namespace: string, options: DeployOptions = {}): Promise<void> {
  const manifests = await renderDeploy(namespace, options);
  await kubectlOk(['apply', '-n', namespace, '-f', '-'], { input: manifests.map((m) => stringify(m)).join('---\n') });
}

/** A token for a ServiceAccount, minted through the TokenRequest API (as a pod's projected token is). */
export async function serviceAccountToken(namespace: string, serviceAccount: string, durationSeconds = 3600): Promise<string> {
  return (await kubectlOk(['create', 'token', serviceAccount, '-n', namespace, '--duration', `${durationSeconds}s`])).trim();
}

/** A kubeconfig for this cluster that authenticates with `token` (context namespace `namespace`); written 0600 to a temporary file. */
export function kubeconfigForToken(token: string, namespace: string): string {
  const admin = parseYaml(readFileSync(adminKubeconfig(), 'utf8')) as Manifest;
  const cluster = admin.clusters[0].cluster;
  return writeKubeconfigFile({
    server: cluster.server,
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64'),
    token,
    namespace,
  });
}

/** The admin kubeconfig with another token in it (an expired or revoked one): the same cluster, CA and context name. */
export function kubeconfigWithToken(token: string, namespace?: string): string {
  const admin = parseYaml(readFileSync(adminKubeconfig(), 'utf8')) as Manifest;
  const cluster = admin.clusters[0].cluster;
  return writeKubeconfigFile({
    server: cluster.server,
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64'),
    token,
    namespace,
    context: admin['current-context'],
    user: admin.users[0].name,
  });
}

/** Writes a one-context kubeconfig (0600) to a temporary file and returns its path. */
export function writeKubeconfigFile(options: {
  server: string;
  ca: Buffer;
  token: string;
  namespace?: string;
  context?: string;
  user?: string;
}): string {
  const context = options.context ?? 'token';
  const user = options.user ?? 'token';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: context, cluster: { server: options.server, 'certificate-authority-data': options.ca.toString('base64') } }],
    users: [{ name: user, user: { token: options.token } }],
    contexts: [{ name: context, context: { cluster: context, user, ...(options.namespace ? { namespace: options.namespace } : {}) } }],
    'current-context': context,
  };
  const path = join(mkdtempSync(join(tmpdir(), 'thoth-kubeconfig-')), 'kubeconfig');
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

/** How the loopback kubelet ends the pods of matching workflows (scripts/kube/pod-rules.mjs). */
export interface PodOutcome {
  namespace: string;
  /** Regular expression on the workflow's name. */
  workflow?: string;
  /** Regular expression on the name of the template the pod runs. */
  template?: string;
  /** Regular expression per main-container variable (deploy/argo passes the parameters as container variables). */
  env?: Record<string, string>;
  /** Running: the pod never finishes. */
  outcome: 'Succeeded' | 'Failed' | 'Running';
  exitCode?: number;
  message?: string;
  delayMs?: number;
}

/** Adds a pod outcome rule (newest matching rule wins); returns a function that removes it. */
export function setPodOutcome(rule: PodOutcome): () => void {
  const dir = join(stateDir(), 'pod-rules');
  const name = `${Date.now().toString().padStart(15, '0')}-${randomBytes(4).toString('hex')}.json`;
  // Written aside and renamed: the kubelet never reads half a rule.
  writeFileSync(join(dir, `.${name}.tmp`), JSON.stringify(rule));
  renameSync(join(dir, `.${name}.tmp`), join(dir, name));
  return () => rmSync(join(dir, name), { force: true });
}

/** GET on the API server as admin; undefined on 404. */
export function apiGet<T>(path: string): Promise<T | undefined> {
  const config = parseYaml(readFileSync(adminKubeconfig(), 'utf8')) as Manifest;
  const server = new URL(config.clusters[0].cluster.server);
  const ca = Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64');
  const token: string = config.users[0].user.token;
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname: server.hostname, port: server.port, path, ca, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 404) resolve(undefined);
          else if (res.statusCode !== 200) reject(new Error(`GET ${path}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
          else resolve(JSON.parse(body) as T);
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export const getWorkflow = (namespace: string, name: string) =>
  apiGet<Workflow>(`/apis/argoproj.io/v1alpha1/namespaces/${namespace}/workflows/${name}`);

export async function listWorkflows(namespace: string): Promise<Workflow[]> {
  return (await apiGet<{ items: Workflow[] }>(`/apis/argoproj.io/v1alpha1/namespaces/${namespace}/workflows`))?.items ?? [];
}

/** Polls until the workflow's phase is one of `phases`; rejects with the last phase seen after `timeoutMs`. */
export function waitForWorkflowPhase(namespace: string, name: string, phases: string[], timeoutMs = 60_000): Promise<Workflow> {
  let last: Workflow | undefined;
  return eventually(
    async () => {
      last = await getWorkflow(namespace, name);
      return last?.status?.phase && phases.includes(last.status.phase) ? last : undefined;
    },
    () =>
      `workflow ${namespace}/${name} to reach ${phases.join(' or ')}; last phase: ${last?.status?.phase ?? (last ? 'none' : 'not found')}${last?.status?.message ? ` (${last.status.message})` : ''}`,
    { timeoutMs, intervalMs: 250 },
  );
}

/** The binaries of the running cluster (scripts/kube.mjs prints THOTH_TEST_KUBE_CACHE). */
const kubeCache = (): string => required('THOTH_TEST_KUBE_CACHE');

/** A kube-apiserver with etcd and nothing else: no Argo CRDs, no controller, no kubelet. */
export interface BareCluster {
  server: string;
  /** system:masters on this server. */
  adminKubeconfig: string;
  kubectl(args: string[], options?: { input?: string }): Promise<KubectlResult>;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway API server from the cached binaries, in a state directory of its own, for
 * faults that need a cluster without Argo (or with an older Argo's CRD). About 3 s; the caller
 * stops it (and if the test process dies, scripts/kube.mjs's watchdog does).
 */
export async function startBareCluster(): Promise<BareCluster> {
  const { startCluster, stopCluster } = await import('../../scripts/kube.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'thoth-bare-kube-'));
  const state = await startCluster({ dir, argo: false, cache: kubeCache(), ownerPid: process.pid });
  const admin = state.kubeconfigs.admin;
  return {
    server: state.server,
    adminKubeconfig: admin,
    kubectl: (args, options = {}) => kubectl(args, { ...options, kubeconfig: admin }),
    stop: () => stopCluster(state),
  };
}

/** Argo's full-schema Workflow CRD, as the loopback cluster installs it (from the Argo module, never committed). */
export async function argoWorkflowCrd(): Promise<Manifest> {
  const { argoFiles } = await import('../../scripts/kube/build.mjs');
  return parseYaml(readFileSync(join(argoFiles(kubeCache()).crds, 'argoproj.io_workflows.yaml'), 'utf8')) as Manifest;
}
