/**
 * The operator endpoints (SPEC §3): Prometheus metrics, a health check, and
 * halting/resuming consumption of one topic by its base name. node:http only.
 *
 * A web page the operator opens must not be able to halt the investigator
 * (a cross-site request, DNS rebinding): state changes are POST only, the
 * Host header must name the bound address, an IP address, localhost or a
 * configured name, a request whose Origin is another site is refused, and,
 * with a token, /halt and /resume need `Authorization: Bearer <token>`.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';

export interface OperatorControls {
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
  health(): { ok: boolean; [detail: string]: unknown };
  /** Pauses the topic; 'unknown' when the investigator does not consume it. */
  halt(baseTopic: string): 'halted' | 'already' | 'unknown';
  resume(baseTopic: string): 'resumed' | 'already' | 'unknown';
}

export interface OperatorSecurity {
  /** Host names (besides IP addresses, localhost and the bound address) the endpoints answer to. */
  hostNames?: readonly string[];
  /** When set, /halt and /resume need `Authorization: Bearer <token>`. */
  token?: string;
}

export interface OperatorServer {
  /** `http://host:port`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

const json = (value: unknown) => `${JSON.stringify(value)}\n`;

/** The host part of a Host header or an Origin's authority: `[::1]:80` → `::1`, `Name:6066` → `name`. */
function hostPart(authority: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(authority);
  if (bracketed) return bracketed[1].toLowerCase();
  return authority.replace(/:\d*$/, '').toLowerCase();
}

function allowedHost(host: string, bound: string, names: ReadonlySet<string>): boolean {
  // An IP address cannot be rebound to another machine: only a name can.
  if (isIP(host) !== 0) return true;
  return host === 'localhost' || host === bound.toLowerCase() || names.has(host);
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Why a request is refused before it is routed: [status, reason], or undefined to go on. */
function refusal(req: IncomingMessage, bound: string, names: ReadonlySet<string>): [number, string] | undefined {
  const host = req.headers.host;
  if (host !== undefined && !allowedHost(hostPart(host), bound, names)) {
    return [421, `host ${JSON.stringify(host)} is not one these endpoints answer to; add it with --operator-host`];
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let originHost: string;
    try {
      originHost = hostPart(new URL(origin).host);
    } catch {
      return [403, 'a malformed Origin is refused'];
    }
    if (!allowedHost(originHost, bound, names) || (host !== undefined && originHost !== hostPart(host))) {
      return [403, 'a request from another site (Origin) is refused'];
    }
  } else if (origin === 'null' || req.headers['sec-fetch-site'] === 'cross-site') {
    return [403, 'a request from another site is refused'];
  }
  return undefined;
}

async function route(req: IncomingMessage, res: ServerResponse, controls: OperatorControls, token: string | undefined): Promise<void> {
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://operator').pathname);
  } catch {
    return send(res, 400, json({ error: 'the path is not valid percent-encoded UTF-8' }));
  }
  if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'HEAD') {
    res.setHeader('allow', /^\/(halt|resume)\//.test(path) ? 'POST' : 'GET, HEAD');
    return send(res, 405, json({ error: `method ${req.method} not allowed` }));
  }
  if (path === '/metrics') return send(res, 200, await controls.metrics(), 'text/plain; version=0.0.4; charset=utf-8');
  if (path === '/_health' || path === '/health') {
    const health = controls.health();
    return send(res, health.ok ? 200 : 503, json(health));
  }
  const control = /^\/(halt|resume)\/(.+)$/.exec(path);
  if (control) {
    const [, action, topic] = control as unknown as [string, 'halt' | 'resume', string];
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return send(res, 405, json({ error: `/${action} changes state: use POST (curl -X POST …)` }));
    }
    if (token !== undefined) {
      const given = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
      if (given === undefined || !sameToken(given, token)) {
        res.setHeader('www-authenticate', 'Bearer');
        return send(res, 401, json({ error: `/${action} needs Authorization: Bearer <the operator token>` }));
      }
    }
    const outcome = action === 'halt' ? controls.halt(topic) : controls.resume(topic);
    if (outcome === 'unknown') return send(res, 404, json({ error: `not consuming topic "${topic}"`, topic }));
    return send(res, 200, json({ topic, state: action === 'halt' ? 'halted' : 'running', changed: outcome !== 'already' }));
  }
  return send(res, 404, json({ error: 'not found', endpoints: ['/metrics', '/_health', '/halt/<base topic>', '/resume/<base topic>'] }));
}

/** Listens on host:port (port 0 picks a free one) and resolves once bound. */
export function startOperatorServer(
  options: { host: string; port: number; controls: OperatorControls } & OperatorSecurity,
): Promise<OperatorServer> {
  const names = new Set((options.hostNames ?? []).map((name) => name.toLowerCase()));
  const server = createServer((req, res) => {
    const refused = refusal(req, options.host, names);
    if (refused) return send(res, refused[0], json({ error: refused[1] }));
    route(req, res, options.controls, options.token).catch(() => {
      if (!res.headersSent) send(res, 500, json({ error: 'internal error' }));
      else res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
