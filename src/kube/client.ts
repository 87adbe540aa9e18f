/**
 * The Kubernetes adapter: the one file that imports @kubernetes/client-node
 * (slow to load, so everything else reaches it through a dynamic import in
 * src/cli/context.ts). It finds the cluster the standard way, never falls back
 * to localhost:8080, and turns the API's answers into thoth's typed errors.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import type { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { PermanentError, UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { ANNOTATIONS, idempotencyKeyOf } from '../workflows/build.js';
import { withDeadline } from '../core/deadline.js';
import type { KubeSettings } from '../config/kube.js';
import { findKubeconfig } from './kubeconfig-source.js';
import {
  DEFAULT_RETRY,
  classifyHttp,
  classifyNetwork,
  withRetries,
  type FailureClass,
  type HttpFailure,
  type RequestContext,
  type RetryPolicy,
} from './http-failures.js';
import type { KubeClient, Workflow } from '../workflows/types.js';
import { watchUntilDone } from './watch-workflow.js';

/** The client library: an ES module only, so imported when a command connects (thoth's build is CommonJS: scripts/bundle.mjs). */
type Kubernetes = typeof import('@kubernetes/client-node');

const GROUP = 'argoproj.io';
const VERSION = 'v1alpha1';
const PLURAL = 'workflows';
/** The label Argo's controller sets to "true" on a workflow once it has completed. */
const COMPLETED_LABEL = 'workflows.argoproj.io/completed';
/** Workflows asked for in one list request. */
const LIST_PAGE = 500;
/** The name a workflow's managedFields give thoth's fields (kubectl's is kubectl-create, Argo's CLI argo). */
export const FIELD_MANAGER = 'thoth';

export interface ConnectOptions {
  /** Where the kubeconfig is looked for (settings.kube). */
  cluster: KubeSettings;
  log: Logger;
  kubeconfig?: string;
  context?: string;
  /** Each retry as a notice on stderr (a person waiting), not only with --verbose. */
  retryNotices?: boolean;
  /** Tests shorten the backoff and the request time limit. */
  retry?: Partial<RetryPolicy>;
  /** Workflows asked for in one list request (default LIST_PAGE; tests make pages small). */
  listPage?: number;
}

/**
 * The client library makes a new HTTPS agent for every request (KubeConfig.applySecurityAuthentication): each call
 * opened a connection, built its TLS context from the PEM files again and made a full TLS handshake, most of the
 * investigator's CPU against a cluster, and as much again in the API server. One agent with keep-alive connections
 * is kept instead for each set of TLS material (a credential plugin may hand out new client certificates); a proxy's
 * agent is left as the library makes it. Credentials in headers are still set for each request.
 */
function reuseConnections(config: KubeConfig): void {
  const agents = new Map<string, Agent>();
  const apply = config.applySecurityAuthentication.bind(config);
  config.applySecurityAuthentication = async (context) => {
    await apply(context);
    const fresh = context.getAgent();
    if (!fresh || fresh.constructor !== Agent) return;
    const o = fresh.options;
    const material = [o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername];
    const hash = createHash('sha256');
    for (const part of material) hash.update(JSON.stringify(Buffer.isBuffer(part) ? part.toString('base64') : (part ?? null))).update('\0');
    const key = hash.digest('hex');
    let agent = agents.get(key);
    if (!agent) {
      agent = new Agent({ ...o, keepAlive: true });
      agents.set(key, agent);
    }
    context.setAgent(agent);
  };
}

function loadConfig(k8s: Kubernetes, options: ConnectOptions): { config: KubeConfig; origin: string; kind: 'files' | 'in-cluster' } {
  const source = findKubeconfig({ ...options.cluster, kubeconfig: options.kubeconfig });
  const config = new k8s.KubeConfig();
  // An empty file (kubectl skips those in a KUBECONFIG list) would make the client library fail with a TypeError.
  const files = source.kind === 'files' ? source.files.filter((file) => !isBlankYaml(file)) : [];
  if (source.kind === 'files' && files.length === 0) {
    throw new UserError(
      `the kubeconfig ${source.origin} is empty: it defines no cluster`,
      'run `kubectl config view` to check it, or pass --kubeconfig FILE',
    );
  }
  try {
    if (source.kind === 'in-cluster') config.loadFromCluster();
    else {
      config.loadFromFile(files[0]);
      for (const file of files.slice(1)) {
        const more = new k8s.KubeConfig();
        more.loadFromFile(file);
        config.mergeConfig(more, true);
      }
    }
  } catch (error) {
    throw new UserError(
      `cannot read the kubeconfig ${source.origin}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
  if (config.getClusters().length === 0) {
    throw new UserError(
      `the kubeconfig ${source.origin} has no clusters`,
      'run `kubectl config view` to check it, or pass --kubeconfig FILE',
    );
  }
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      const known = config.getContexts().map((c) => c.name);
      throw new UserError(
        `no context ${JSON.stringify(options.context)} in ${source.origin}`,
        known.length ? `contexts: ${known.join(', ')}` : undefined,
      );
    }
    config.setCurrentContext(options.context);
  }
  if (!config.getCurrentCluster()) {
    throw new UserError(
      `the kubeconfig ${source.origin} selects no cluster (current context: ${config.getCurrentContext() || 'none'})`,
      'pass --context NAME or set current-context',
    );
  }
  return { config, origin: source.origin, kind: source.kind };
}

/** Nothing but blank lines and comments (an unreadable file is left to the client library's error). */
function isBlankYaml(file: string): boolean {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .every((line) => line.trim() === '' || line.trim().startsWith('#'));
  } catch {
    return false;
  }
}

/** Which credential the kubeconfig sends, in words (never the secret itself). */
function describeCredential(config: KubeConfig, kind: 'files' | 'in-cluster'): string {
  if (kind === 'in-cluster') return "the pod's service account token";
  const user = config.getCurrentUser();
  const who = `user ${JSON.stringify(user?.name ?? '')} (kubeconfig context ${config.getCurrentContext()})`;
  if (!user) return `no credentials (context ${config.getCurrentContext()} names no user)`;
  // The client library types these two as any.
  const exec = user.exec as { command?: string } | undefined;
  const authProvider = user.authProvider as { name?: string } | undefined;
  if (exec) return `the credentials that the exec plugin ${JSON.stringify(exec.command ?? '')} gave ${who}`;
  if (authProvider) return `the ${authProvider.name ?? 'auth-provider'} token of ${who}`;
  if (user.token || (user as { tokenFile?: string }).tokenFile) return `the token of ${who}`;
  if (user.certFile || user.certData) return `the client certificate of ${who}`;
  if (user.username) return `the password of ${who}`;
  return `no credentials: ${who} has none, so the request was anonymous`;
}

/** What the server's certificate is checked against, in words. */
function describeTrust(config: KubeConfig): string {
  const cluster = config.getCurrentCluster();
  if (cluster?.caFile) return `the CA file ${cluster.caFile}`;
  if (cluster?.caData) return `the CA data in the kubeconfig (cluster ${cluster.name})`;
  return "the system's CA certificates (the kubeconfig names no certificate-authority)";
}

/** The failure an API call ended in: an HTTP answer (ApiException or watch error) or a network error. */
function classify(error: unknown, context: RequestContext): FailureClass | undefined {
  const http = httpFailureOf(error);
  return http ? classifyHttp(http, context) : classifyNetwork(error, context);
}

function httpFailureOf(error: unknown): HttpFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & { code?: unknown; statusCode?: unknown; body?: unknown; headers?: unknown };
  const status = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status === undefined) return undefined;
  const headers = (e.headers && typeof e.headers === 'object' ? e.headers : {}) as Record<string, string>;
  let body: { reason?: unknown; message?: unknown; details?: { kind?: unknown } } = {};
  try {
    body = (typeof e.body === 'string' ? JSON.parse(e.body) : (e.body ?? {})) as typeof body;
  } catch {
    // not a Status object: keep only the code
  }
  return {
    status,
    headers,
    reason: typeof body.reason === 'string' ? body.reason : undefined,
    message: typeof body.message === 'string' ? body.message : undefined,
    kind: typeof body.details?.kind === 'string' ? body.details.kind : undefined,
  };
}

function absoluteHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

export async function connectKube(options: ConnectOptions): Promise<KubeClient> {
  const k8s: Kubernetes = await import('@kubernetes/client-node');
  const { config, kind: source } = loadConfig(k8s, options);
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const server = config.getCurrentCluster()!.server;
  if (!absoluteHttpUrl(server)) {
    throw new UserError(
      `the kubeconfig's cluster ${JSON.stringify(config.getCurrentCluster()!.name)} has server ${JSON.stringify(server.replace(/\/\/[^/@]*@/, '//***@'))}, not an absolute http(s) URL`,
      'fix the server in the kubeconfig, e.g. https://api.cluster.example:6443',
    );
  }
  reuseConnections(config);
  const api = config.makeApiClient(k8s.CustomObjectsApi);
  // Never credentials in what is shown: drop any user:password@ from the server URL.
  const description = `${config.getCurrentContext()}@${server.replace(/\/\/[^/@]*@/, '//')}`;
  const log = options.log;
  const contextNamespace = config.getContextObject(config.getCurrentContext())?.namespace?.trim();

  /** Per-call options: the request aborts on `signal` (see withDeadline for why it is not AbortSignal.any). */
  const callOptions = (signal: AbortSignal) => {
    const middleware = {
      pre: (context: { setSignal(signal: AbortSignal): void }) => {
        context.setSignal(signal);
        return new k8s.Observable(Promise.resolve(context));
      },
      post: (response: unknown) => new k8s.Observable(Promise.resolve(response)),
    };
    return { middleware: [middleware], middlewareMergeStrategy: 'append' } as unknown as Parameters<
      CustomObjectsApi['getNamespacedCustomObject']
    >[1];
  };

  /** Each attempt gets its own time limit, tied to the caller's signal. */
  const credential = describeCredential(config, source);
  const trust = describeTrust(config);
  const context = (verb: string, namespace: string): RequestContext => ({ verb, namespace, credential, trust, server });
  const retrying = <T>(what: string, on: RequestContext, request: (callSignal: AbortSignal) => Promise<T>, signal?: AbortSignal) =>
    withRetries(
      what,
      () => withDeadline(policy.requestTimeoutMs, signal, request),
      (error) => classify(error, on),
      {
        policy,
        log,
        signal,
        notices: options.retryNotices,
      },
    );

  const getWorkflow = async (namespace: string, name: string, signal?: AbortSignal): Promise<Workflow | undefined> => {
    try {
      return (await retrying(
        `reading workflow ${name} in namespace ${namespace}`,
        context('get', namespace),
        (callSignal) =>
          api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name }, callOptions(callSignal)),
        signal,
      )) as Workflow;
    } catch (error) {
      if (error instanceof PermanentError && error.errorClass === 'NotFound') return undefined;
      throw error;
    }
  };

  const client: KubeClient = {
    description,
    defaultNamespace: contextNamespace
      ? {
          namespace: contextNamespace,
          from: source === 'in-cluster' ? 'the service account' : `the kubeconfig context ${config.getCurrentContext()}`,
        }
      : undefined,

    async createWorkflow(workflow, createOptions = {}) {
      const { namespace, name } = workflow.metadata;
      const what = `creating workflow ${name} in namespace ${namespace}${createOptions.dryRun ? ' (server dry run)' : ''}`;
      // This call's own mark: a 409 on an object carrying it means one of our attempts stored it and its answer was lost.
      const submission = randomUUID();
      const body: Workflow = {
        ...workflow,
        metadata: { ...workflow.metadata, annotations: { ...workflow.metadata.annotations, [ANNOTATIONS.submission]: submission } },
      };
      let conflict = false;
      const created = await retrying(
        what,
        context('create', namespace),
        async (callSignal) => {
          try {
            return (await api.createNamespacedCustomObject(
              // Strict: a schema that lacks a field thoth writes (an older Argo) refuses it instead of dropping it silently.
              {
                group: GROUP,
                version: VERSION,
                namespace,
                plural: PLURAL,
                body,
                dryRun: createOptions.dryRun ? 'All' : undefined,
                fieldValidation: 'Strict',
                // The server records who owns each field; unnamed, the HTTP library's name ("node-fetch") would stand there.
                fieldManager: FIELD_MANAGER,
              },
              callOptions(callSignal),
            )) as Workflow;
          } catch (error) {
            if (httpFailureOf(error)?.status === 409) {
              conflict = true;
              return undefined;
            }
            throw error;
          }
        },
        createOptions.signal,
      );
      if (!conflict && created) return { outcome: 'created', workflow: created };
      // 409: it exists. The same idempotency key means the same request made it: another process, an earlier run, or
      // one of this call's attempts whose answer was lost (then it carries this call's mark, and this call created it).
      const existing = await getWorkflow(namespace, name, createOptions.signal);
      if (!existing) throw new UserError(`workflow ${name} in namespace ${namespace} was reported to exist but cannot be read back`);
      if (idempotencyKeyOf(existing) !== idempotencyKeyOf(workflow)) {
        throw new UserError(
          `a different workflow named ${name} already exists in namespace ${namespace} (its idempotency key does not match)`,
          'delete it, or submit with --force to run under a unique name',
        );
      }
      return { outcome: existing.metadata.annotations?.[ANNOTATIONS.submission] === submission ? 'created' : 'exists', workflow: existing };
    },

    getWorkflow: (namespace, name, signal) => getWorkflow(namespace, name, signal),

    async watchWorkflow(namespace, name, onChange, signal) {
      const watch = new k8s.Watch(config);
      return watchUntilDone({
        read: () => getWorkflow(namespace, name, signal),
        watch: (resourceVersion, onEvent, onEnd) =>
          watch.watch(
            `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`,
            {
              fieldSelector: `metadata.name=${name}`,
              resourceVersion,
              timeoutSeconds: Math.max(1, Math.round(policy.requestTimeoutMs / 1000)),
            },
            (type: string, object: unknown) => onEvent(type, object as Workflow),
            (error: unknown) => onEnd(error ?? null),
          ),
        onChange,
        signal,
        name,
        namespace,
        backoff: (attempt) => Math.min(policy.capMs, policy.baseMs * 2 ** attempt),
        describeError: (error) => {
          const failure = classify(error, context('watch', namespace));
          return failure ? failure : { kind: 'transient', description: String(error) };
        },
        log,
      });
    },

    async listWorkflows(namespace, listOptions = {}) {
      const labelSelector = listOptions.unfinished ? `app=thoth,${COMPLETED_LABEL}!=true` : 'app=thoth';
      const items: Workflow[] = [];
      // Pages of LIST_PAGE: a namespace may hold thousands of workflows, and one answer would hold them all in the API server.
      for (let next: string | undefined = undefined; ;) {
        const page = (await retrying(`listing workflows in namespace ${namespace}`, context('list', namespace), (callSignal) =>
          api.listNamespacedCustomObject(
            {
              group: GROUP,
              version: VERSION,
              namespace,
              plural: PLURAL,
              labelSelector,
              limit: options.listPage ?? LIST_PAGE,
              _continue: next,
            },
            callOptions(callSignal),
          ),
        )) as { items?: Workflow[]; metadata?: { _continue?: string; continue?: string } };
        items.push(...(page.items ?? []));
        next = page.metadata?.continue ?? page.metadata?._continue;
        if (!next) return items;
      }
    },
    async countPending(namespace) {
      const unfinished = await client.listWorkflows(namespace, { unfinished: true });
      return unfinished.filter((w) => !w.status?.phase || w.status.phase === 'Pending').length;
    },
    diagnostics: {
      async server() {
        const info = await retrying('reading the API server version', context('get', ''), (callSignal) =>
          config.makeApiClient(k8s.VersionApi).getCodeWithHttpInfo({}, callOptions(callSignal) as never),
        );
        const date = Date.parse(info.headers['date'] ?? '');
        return { version: info.data.gitVersion, ...(Number.isNaN(date) ? {} : { date }) };
      },
      async resources(group, version) {
        const discover = (callSignal: AbortSignal) => api.getAPIResources({ group, version }, callOptions(callSignal));
        try {
          return (await withDeadline(policy.requestTimeoutMs, undefined, discover)).resources.map((r) => r.name);
        } catch (error) {
          // 404: the API server does not serve the group (the CRDs are not installed).
          if ((error as { code?: unknown }).code === 404) return undefined;
          // Anything else: retried and explained as every other call is.
          return (await retrying(`discovering ${group}/${version}`, context('get', ''), discover)).resources.map((r) => r.name);
        }
      },
      async canI(verb, group, resource, namespace) {
        const review = await retrying(`asking whether it may ${verb} ${resource}.${group}`, context('create', namespace), (callSignal) =>
          config.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectAccessReview(
            {
              body: {
                apiVersion: 'authorization.k8s.io/v1',
                kind: 'SelfSubjectAccessReview',
                spec: { resourceAttributes: { verb, group, resource, namespace } },
              },
            },
            callOptions(callSignal) as never,
          ),
        );
        return review.status?.allowed === true;
      },
    },
  };
  return client;
}
