/**
 * The least of a Kubernetes client for the loopback kubelet: JSON requests and watches over
 * HTTPS with one bearer token, trusting the cluster's CA. Tokens go in headers only, never in
 * an error message.
 */
import { request } from 'node:https';

export class ApiError extends Error {
  constructor(method, path, status, body) {
    let message = body;
    try {
      message = JSON.parse(body).message ?? body;
    } catch {
      // not a Status object
    }
    super(`${method} ${path}: HTTP ${status}: ${message}`);
    this.status = status;
  }
}

export function apiClient({ server, ca, token }) {
  const base = new URL(server);
  const options = (method, path, headers) => ({
    method,
    hostname: base.hostname,
    port: base.port,
    path,
    ca,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...headers },
  });

  /** One request; resolves with the parsed answer, rejects with ApiError on a status >= 300. */
  function call(method, path, body, contentType = 'application/json') {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(options(method, path, payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}), (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode >= 300) reject(new ApiError(method, path, res.statusCode, text));
          else resolve(text ? JSON.parse(text) : undefined);
        });
        res.on('error', reject);
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer within 30s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Lists `path` (a collection, query included) and then watches it from the list's
   * resourceVersion, calling onEvent(type, object) for each item and change; re-lists when the
   * watch ends or expires, until `signal` aborts.
   */
  async function informer(path, onEvent, signal) {
    const sep = path.includes('?') ? '&' : '?';
    while (!signal.aborted) {
      try {
        const list = await call('GET', path);
        for (const item of list.items ?? []) onEvent('ADDED', item);
        await watchFrom(`${path}${sep}watch=1&allowWatchBookmarks=false&timeoutSeconds=300&resourceVersion=${list.metadata.resourceVersion}`, onEvent, signal);
      } catch (error) {
        if (signal.aborted) return;
        process.stderr.write(`kubelet: ${error.message}; listing again\n`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  function watchFrom(path, onEvent, signal) {
    return new Promise((resolve, reject) => {
      const req = request(options('GET', path, {}), (res) => {
        if (res.statusCode !== 200) {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => reject(new ApiError('GET', path.split('?')[0], res.statusCode, Buffer.concat(chunks).toString('utf8'))));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (text) => {
          buffered += text;
          let newline;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            if (!line.trim()) continue;
            const event = JSON.parse(line);
            // 410 Gone and other errors arrive as an ERROR event: list again.
            if (event.type === 'ERROR') return req.destroy(new Error(`watch ${path.split('?')[0]}: ${event.object?.message ?? 'error event'}`));
            onEvent(event.type, event.object);
          }
        });
        res.on('end', resolve);
        res.on('error', reject);
      });
      const abort = () => req.destroy();
      signal.addEventListener('abort', abort, { once: true });
      req.on('close', () => signal.removeEventListener('abort', abort));
      req.on('error', (error) => (signal.aborted ? resolve() : reject(error)));
      req.end();
    });
  }

  return { call, informer };
}
