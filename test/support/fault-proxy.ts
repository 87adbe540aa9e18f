/**
 * A fault-injecting HTTPS proxy in front of the real loopback API server (test/support/cluster.ts):
 * everything passes through unchanged (creates, 409s, reads, lists, watches, RBAC, dry runs are
 * the real server's), except the requests a test picks, which get a fault the real server would
 * not produce on demand:
 *
 *   status     the proxy answers 5xx itself, as an overloaded server or a gateway would; the server never sees it
 *   throttle   429 with Retry-After, as API Priority and Fairness does under load
 *   lost       forwarded and answered by the server (the object is stored), then the client's
 *              connection is cut before the answer reaches it
 *   hang       never forwarded, never answered: only the client's own time limit ends it
 *   slow       forwarded at once (the server stores the object), its answer held back `delayMs`
 *
 * The proxy has a CA and certificate of its own (made with openssl when it starts); `kubeconfig()`
 * writes one that trusts it and sends a token (the admin's unless told otherwise) through to the server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type RequestOptions } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { adminKubeconfig, writeKubeconfigFile } from './cluster.js';

export type Fault =
  | { kind: 'status'; status: 500 | 502 | 503 | 504 }
  | { kind: 'throttle'; retryAfterSeconds: number }
  | { kind: 'lost' }
  | { kind: 'hang' }
  | { kind: 'slow'; delayMs: number };

/** Which requests a fault hits: by default the next workflow create (POST .../workflows). */
export interface FaultTarget {
  method?: string;
  /** Matched against the path without the query. */
  path?: RegExp;
  /** How many matching requests in a row get it (default 1). */
  count?: number;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The status the client saw; 0 when it saw none (lost, hang). */
  status: number;
  /** The server's answer, when the request reached it (lost: the answer the client never saw). */
  serverStatus?: number;
  fault?: Fault['kind'];
  /** When it arrived, and when its answer was sent whole (none: never answered), in ms since the epoch. */
  arrivedAt: number;
  answeredAt?: number;
}

export interface FaultProxy {
  readonly url: string;
  /** The token its kubeconfigs send by default (the admin's): tests check it is never printed. */
  readonly token: string;
  readonly requests: ProxiedRequest[];
  inject(fault: Fault, target?: FaultTarget): void;
  /** Requests to create a workflow (POST .../workflows, not a dry run) and what they got. */
  creates(): ProxiedRequest[];
  /** The creates the server stored (it answered 201, whether or not the client saw it). */
  stored(): ProxiedRequest[];
  /** A kubeconfig (0600, temporary) for this proxy; `token` defaults to the admin's. */
  kubeconfig(options?: { token?: string; namespace?: string }): string;
  close(): Promise<void>;
}

const CREATE = { method: 'POST', path: /\/apis\/argoproj\.io\/v1alpha1\/namespaces\/[^/]+\/workflows$/ };

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A CA and a certificate for 127.0.0.1 signed by it (EC keys: quick to make). */
function makeCertificates(dir: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=thoth-fault-proxy-ca'], dir);
  openssl(['req', '-new', ...ec, '-keyout', 'proxy.key', '-out', 'proxy.csr', '-subj', '/CN=thoth-fault-proxy'], dir);
  writeFileSync(join(dir, 'proxy.ext'), 'basicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'proxy.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'proxy.ext',
      '-out',
      'proxy.crt',
    ],
    dir,
  );
  return { ca: readFileSync(join(dir, 'ca.crt')), cert: readFileSync(join(dir, 'proxy.crt')), key: readFileSync(join(dir, 'proxy.key')) };
}

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

export async function startFaultProxy(): Promise<FaultProxy> {
  const admin = parseYaml(readFileSync(adminKubeconfig(), 'utf8')) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ user: { token: string } }>;
  };
  const upstream = new URL(admin.clusters[0].cluster.server);
  const upstreamCa = Buffer.from(admin.clusters[0].cluster['certificate-authority-data'], 'base64');
  const adminToken = admin.users[0].user.token;
  const pki = mkdtempSync(join(tmpdir(), 'thoth-fault-proxy-'));
  const { ca, cert, key } = makeCertificates(pki);
  const agent = new Agent({ keepAlive: true, ca: upstreamCa });
  const faults: Array<{ fault: Fault; target: Required<Omit<FaultTarget, 'count'>>; left: number }> = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const take = (method: string, path: string): Fault | undefined => {
    const rule = faults.find((r) => r.left > 0 && r.target.method === method && r.target.path.test(path));
    if (!rule) return undefined;
    rule.left--;
    return rule.fault;
  };

  const forward = (req: IncomingMessage, onAnswer: (res: IncomingMessage) => void, onError: (error: Error) => void) => {
    const options: RequestOptions = {
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
      agent,
    };
    const out = request(options, onAnswer);
    out.on('error', onError);
    req.pipe(out);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://proxy');
    const entry: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      arrivedAt: Date.now(),
    };
    requests.push(entry);
    res.on('finish', () => (entry.answeredAt = Date.now()));
    const fault = take(entry.method, entry.path);
    if (fault) entry.fault = fault.kind;
    const answerWith = (status: number, body: string, headers: Record<string, string> = {}) => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    const failed = (error: Error) => {
      if (!res.headersSent) answerWith(502, statusBody(502, 'BadGateway', `fault proxy: ${error.message}`));
      else res.destroy();
    };

    if (fault?.kind === 'hang') {
      req.resume();
      return;
    }
    if (fault?.kind === 'status') {
      req.resume();
      const reason = { 500: 'InternalError', 502: 'BadGateway', 503: 'ServiceUnavailable', 504: 'Timeout' }[fault.status];
      return answerWith(fault.status, statusBody(fault.status, reason, 'injected by the fault proxy'));
    }
    if (fault?.kind === 'throttle') {
      req.resume();
      return answerWith(429, statusBody(429, 'TooManyRequests', 'injected by the fault proxy'), {
        'retry-after': String(fault.retryAfterSeconds),
      });
    }
    forward(
      req,
      (answer) => {
        entry.serverStatus = answer.statusCode;
        if (!fault) {
          entry.status = answer.statusCode ?? 0;
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        // lost and slow: the server has answered (and stored what it stores); read its answer whole.
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          if (fault.kind === 'lost') {
            entry.status = 0;
            req.socket.destroy();
            return;
          }
          const timer = setTimeout(
            () => {
              timers.delete(timer);
              if (res.destroyed || req.socket.destroyed) return;
              entry.status = answer.statusCode ?? 0;
              const { 'transfer-encoding': _chunked, 'content-length': _length, ...headers } = answer.headers;
              res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': String(Buffer.concat(chunks).length) });
              res.end(Buffer.concat(chunks));
            },
            (fault as { delayMs: number }).delayMs,
          );
          timers.add(timer);
        });
      },
      failed,
    );
  };

  const server = createServer({ cert, key }, handle);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token: adminToken,
    requests,
    inject(fault, target = {}) {
      faults.push({ fault, target: { method: target.method ?? CREATE.method, path: target.path ?? CREATE.path }, left: target.count ?? 1 });
    },
    creates: () => requests.filter((r) => r.method === CREATE.method && CREATE.path.test(r.path) && r.query.dryRun === undefined),
    stored: () =>
      requests.filter(
        (r) => r.method === CREATE.method && CREATE.path.test(r.path) && r.query.dryRun === undefined && r.serverStatus === 201,
      ),
    kubeconfig: (options = {}) =>
      writeKubeconfigFile({ server: url, ca, token: options.token ?? adminToken, namespace: options.namespace, context: 'fault-proxy' }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        agent.destroy();
        server.close(() => {
          rmSync(pki, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
