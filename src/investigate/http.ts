/**
 * The operator endpoints (SPEC §3): Prometheus metrics, a health check, and
 * halting/resuming consumption of one topic by its base name. node:http only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OperatorControls {
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
  health(): { ok: boolean; [detail: string]: unknown };
  /** Pauses the topic; 'unknown' when the investigator does not consume it. */
  halt(baseTopic: string): 'halted' | 'already' | 'unknown';
  resume(baseTopic: string): 'resumed' | 'already' | 'unknown';
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

async function route(req: IncomingMessage, res: ServerResponse, controls: OperatorControls): Promise<void> {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://operator').pathname);
  if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'HEAD') {
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
    const outcome = action === 'halt' ? controls.halt(topic) : controls.resume(topic);
    if (outcome === 'unknown') return send(res, 404, json({ error: `not consuming topic "${topic}"`, topic }));
    return send(res, 200, json({ topic, state: action === 'halt' ? 'halted' : 'running', changed: outcome !== 'already' }));
  }
  return send(res, 404, json({ error: 'not found', endpoints: ['/metrics', '/_health', '/halt/<base topic>', '/resume/<base topic>'] }));
}

/** Listens on host:port (port 0 picks a free one) and resolves once bound. */
export function startOperatorServer(options: { host: string; port: number; controls: OperatorControls }): Promise<OperatorServer> {
  const server = createServer((req, res) => {
    route(req, res, options.controls).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, json({ error: error instanceof Error ? error.message : String(error) }));
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
