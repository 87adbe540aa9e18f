/**
 * A Kubernetes API server of our own on loopback, standing in for a cluster
 * in tests: Argo workflow endpoints (create with 409, get, list with label
 * selectors, watch, dryRun=All, status updates), namespace lookups, injectable
 * faults, and a request log. The real @kubernetes/client-node talks to it
 * through the kubeconfig that `writeKubeconfig` writes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Workflow, WorkflowNodeStatus } from '../../src/workflows/types.js';

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export type CreateFault =
  { kind: 'status'; status: 500 | 503 } | { kind: 'throttle'; retryAfterSeconds: number } | { kind: 'drop-after-store' } | { kind: 'hang' };

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Workflow;
  resourceVersion: number;
}

export interface KubeApiServer {
  readonly url: string;
  /** The bearer token clients must send; tests check it never reaches output. */
  readonly token: string;
  readonly requests: LoggedRequest[];
  workflows(namespace?: string): Workflow[];
  addNamespace(name: string): void;
  /** Requests into this namespace get 403 Forbidden. */
  forbidNamespace(name: string): void;
  /** The next `count` workflow creates fail with this fault, in order. */
  injectCreateFaults(fault: CreateFault, count?: number): void;
  setPhase(namespace: string, name: string, phase: string, message?: string, nodes?: Record<string, WorkflowNodeStatus>): void;
  /** Deletes a stored workflow, as a TTL or `argo delete` would. */
  deleteWorkflow(namespace: string, name: string): void;
  /** Writes a kubeconfig for this server and returns its path. */
  /** `namespace: null` writes a context that sets no namespace. */
  writeKubeconfig(dir: string, options?: { namespace?: string | null; context?: string }): string;
  close(): Promise<void>;
}

const API = '/apis/argoproj.io/v1alpha1/namespaces/';

function status(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

function matchesLabels(workflow: Workflow, selector: string | undefined): boolean {
  if (!selector) return true;
  const labels = workflow.metadata.labels ?? {};
  return selector.split(',').every((term) => {
    const [key, value] = term.includes('!=') ? term.split('!=') : term.split('=');
    if (value === undefined) return key in labels;
    return term.includes('!=') ? labels[key] !== value : labels[key] === value;
  });
}

function matchesFields(workflow: Workflow, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return key === 'metadata.name'
      ? workflow.metadata.name === value
      : key === 'metadata.namespace'
        ? workflow.metadata.namespace === value
        : true;
  });
}

export async function startKubeApiServer(options: { namespaces?: string[] } = {}): Promise<KubeApiServer> {
  const token = `test-token-${randomBytes(12).toString('hex')}`;
  const namespaces = new Set(options.namespaces ?? ['thoth']);
  const forbidden = new Set<string>();
  const stored = new Map<string, Workflow>(); // `${ns}/${name}`
  const events: WatchEvent[] = [];
  const watchers = new Set<{ send(event: WatchEvent): void }>();
  const faults: CreateFault[] = [];
  const requests: LoggedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  let resourceVersion = 100;

  const publish = (type: WatchEvent['type'], object: Workflow) => {
    const event = { type, object: structuredClone(object), resourceVersion: Number(object.metadata.resourceVersion) };
    events.push(event);
    for (const watcher of watchers) watcher.send(event);
  };

  const send = (res: ServerResponse, entry: LoggedRequest, code: number, body: unknown, headers: Record<string, string> = {}) => {
    entry.status = code;
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    const query = Object.fromEntries(url.searchParams);
    const entry: LoggedRequest = { method: req.method ?? 'GET', path: url.pathname, query, status: 0 };
    requests.push(entry);
    if (req.headers.authorization !== `Bearer ${token}`) return send(res, entry, 401, status(401, 'Unauthorized', 'Unauthorized'));

    const nsMatch = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname);
    if (nsMatch && req.method === 'GET') {
      const ns = nsMatch[1];
      if (forbidden.has(ns))
        return send(
          res,
          entry,
          403,
          status(
            403,
            'Forbidden',
            `namespaces "${ns}" is forbidden: User "system:serviceaccount:thoth:tester" cannot get resource "namespaces" in the namespace "${ns}"`,
          ),
        );
      if (!namespaces.has(ns))
        return send(res, entry, 404, status(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }));
      return send(res, entry, 200, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, status: { phase: 'Active' } });
    }

    if (!url.pathname.startsWith(API))
      return send(res, entry, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const [ns, plural, name, sub] = url.pathname.slice(API.length).split('/');
    if (plural !== 'workflows' || !ns)
      return send(res, entry, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const verb =
      req.method === 'POST' ? 'create' : req.method === 'GET' ? (name ? 'get' : query.watch === 'true' ? 'watch' : 'list') : 'update';
    if (forbidden.has(ns)) {
      return send(
        res,
        entry,
        403,
        status(
          403,
          'Forbidden',
          `workflows.argoproj.io is forbidden: User "system:serviceaccount:thoth:tester" cannot ${verb} resource "workflows" in API group "argoproj.io" in the namespace "${ns}"`,
          { group: 'argoproj.io', kind: 'workflows' },
        ),
      );
    }
    if (!namespaces.has(ns))
      return send(res, entry, 404, status(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }));

    if (verb === 'create' && !name) {
      const fault = faults.shift();
      if (fault?.kind === 'hang') return; // never answers; the client's time limit must fire
      if (fault?.kind === 'status')
        return send(
          res,
          entry,
          fault.status,
          status(fault.status, fault.status === 503 ? 'ServiceUnavailable' : 'InternalError', 'injected fault'),
        );
      if (fault?.kind === 'throttle') {
        return send(res, entry, 429, status(429, 'TooManyRequests', 'injected throttle'), {
          'retry-after': String(fault.retryAfterSeconds),
        });
      }
      let body: Workflow;
      try {
        body = JSON.parse(await readBody(req)) as Workflow;
      } catch {
        return send(res, entry, 400, status(400, 'BadRequest', 'request body is not JSON'));
      }
      if (body.apiVersion !== 'argoproj.io/v1alpha1' || body.kind !== 'Workflow' || !body.metadata?.name) {
        return send(
          res,
          entry,
          422,
          status(422, 'Invalid', 'Workflow.argoproj.io is invalid: apiVersion, kind and metadata.name are required'),
        );
      }
      const key = `${ns}/${body.metadata.name}`;
      if (stored.has(key)) {
        return send(
          res,
          entry,
          409,
          status(409, 'AlreadyExists', `workflows.argoproj.io "${body.metadata.name}" already exists`, {
            name: body.metadata.name,
            group: 'argoproj.io',
            kind: 'workflows',
          }),
        );
      }
      const object: Workflow = structuredClone(body);
      object.metadata = {
        ...object.metadata,
        namespace: ns,
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString(),
        resourceVersion: String(++resourceVersion),
      };
      if (query.dryRun === 'All') return send(res, entry, 201, object);
      stored.set(key, object);
      publish('ADDED', object);
      if (fault?.kind === 'drop-after-store') {
        entry.status = -1;
        req.socket.destroy();
        return;
      }
      return send(res, entry, 201, object);
    }

    if (verb === 'list') {
      const items = [...stored.values()].filter(
        (w) => w.metadata.namespace === ns && matchesLabels(w, query.labelSelector) && matchesFields(w, query.fieldSelector),
      );
      return send(res, entry, 200, {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'WorkflowList',
        metadata: { resourceVersion: String(resourceVersion) },
        items,
      });
    }

    if (verb === 'watch') {
      entry.status = 200;
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      const since = Number(query.resourceVersion ?? 0);
      const wanted = (e: WatchEvent) =>
        e.object.metadata.namespace === ns && matchesLabels(e.object, query.labelSelector) && matchesFields(e.object, query.fieldSelector);
      const watcher = { send: (e: WatchEvent) => wanted(e) && res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`) };
      for (const e of events) if (e.resourceVersion > since) watcher.send(e);
      watchers.add(watcher);
      const end = () => {
        watchers.delete(watcher);
        clearTimeout(timer);
        res.end();
      };
      const timer = setTimeout(end, Number(query.timeoutSeconds ?? 300) * 1000);
      req.on('close', end);
      return;
    }

    const key = `${ns}/${name}`;
    const existing = stored.get(key);
    if (!existing)
      return send(
        res,
        entry,
        404,
        status(404, 'NotFound', `workflows.argoproj.io "${name}" not found`, { name, group: 'argoproj.io', kind: 'workflows' }),
      );
    if (verb === 'get') return send(res, entry, 200, existing);
    // PUT / PATCH of the object or its status subresource: merge the status.
    const patch = JSON.parse((await readBody(req)) || '{}') as Partial<Workflow>;
    const updated: Workflow = {
      ...existing,
      status: { ...existing.status, ...patch.status },
      metadata: { ...existing.metadata, resourceVersion: String(++resourceVersion) },
    };
    if (sub && sub !== 'status') return send(res, entry, 404, status(404, 'NotFound', `no subresource ${sub}`));
    stored.set(key, updated);
    publish('MODIFIED', updated);
    return send(res, entry, 200, updated);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status(500, 'InternalError', String(error))));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    requests,
    workflows: (namespace) =>
      [...stored.values()].filter((w) => !namespace || w.metadata.namespace === namespace).map((w) => structuredClone(w)),
    addNamespace: (name) => void namespaces.add(name),
    forbidNamespace: (name) => void forbidden.add(name),
    injectCreateFaults: (fault, count = 1) => {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    setPhase: (namespace, name, phase, message, nodes) => {
      const key = `${namespace}/${name}`;
      const existing = stored.get(key);
      if (!existing) throw new Error(`test server: no workflow ${key}`);
      const finished = ['Succeeded', 'Failed', 'Error'].includes(phase);
      const updated: Workflow = {
        ...existing,
        metadata: { ...existing.metadata, resourceVersion: String(++resourceVersion) },
        status: {
          ...existing.status,
          phase,
          message,
          startedAt: existing.status?.startedAt ?? new Date().toISOString(),
          finishedAt: finished ? new Date().toISOString() : null,
          nodes: nodes ?? existing.status?.nodes,
        },
      };
      stored.set(key, updated);
      publish('MODIFIED', updated);
    },
    deleteWorkflow: (namespace, name) => {
      const key = `${namespace}/${name}`;
      const existing = stored.get(key);
      if (!existing) throw new Error(`test server: no workflow ${key}`);
      stored.delete(key);
      publish('DELETED', { ...existing, metadata: { ...existing.metadata, resourceVersion: String(++resourceVersion) } });
    },
    writeKubeconfig: (dir, kubeconfigOptions = {}) => {
      const context = kubeconfigOptions.context ?? 'loopback';
      const path = join(dir, 'kubeconfig');
      // http on loopback: client-node allows plain http only with TLS verification explicitly off.
      writeFileSync(
        path,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters:',
          '- name: loopback',
          '  cluster:',
          `    server: ${url}`,
          '    insecure-skip-tls-verify: true',
          'users:',
          '- name: tester',
          '  user:',
          `    token: ${token}`,
          'contexts:',
          `- name: ${context}`,
          '  context:',
          '    cluster: loopback',
          '    user: tester',
          ...(kubeconfigOptions.namespace === null ? [] : [`    namespace: ${kubeconfigOptions.namespace ?? 'thoth'}`]),
          `current-context: ${context}`,
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      return path;
    },
    close: () =>
      new Promise<void>((resolve) => {
        watchers.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
