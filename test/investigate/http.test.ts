import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startOperatorServer, type OperatorControls, type OperatorServer } from '../../src/investigate/http.js';

let server: OperatorServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function fakeControls(): OperatorControls & { halted: Set<string> } {
  const halted = new Set<string>();
  const known = new Set(['thoth.solver.solved-package']);
  return {
    halted,
    metrics: async () => `thoth_investigator_halted_topics ${halted.size}\n`,
    health: () => ({ ok: true, halted: [...halted] }),
    halt: (topic) => (!known.has(topic) ? 'unknown' : halted.has(topic) ? 'already' : (halted.add(topic), 'halted')),
    resume: (topic) => (!known.has(topic) ? 'unknown' : halted.delete(topic) ? 'resumed' : 'already'),
  };
}

const POST = { method: 'POST' };

/** A raw request, so that the Host and Origin headers are exactly the test's (fetch sets Host itself). */
function raw(url: string, method: string, headers: Record<string, string>): Promise<{ status: number; body: string; allow?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, allow: res.headers.allow }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('operator endpoints', () => {
  it('serves metrics and health, and halts/resumes a topic by its base name', async () => {
    const controls = fakeControls();
    server = await startOperatorServer({ host: '127.0.0.1', port: 0, controls });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);

    const health = await fetch(`${server.url}/_health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, halted: [] });

    const halt = await fetch(`${server.url}/halt/thoth.solver.solved-package`, POST);
    expect(halt.status).toBe(200);
    expect(await halt.json()).toEqual({ topic: 'thoth.solver.solved-package', state: 'halted', changed: true });
    expect(controls.halted.has('thoth.solver.solved-package')).toBe(true);

    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toBe('thoth_investigator_halted_topics 1\n');

    const again = await fetch(`${server.url}/halt/thoth.solver.solved-package`, POST);
    expect(await again.json()).toMatchObject({ changed: false });

    const resume = await fetch(`${server.url}/resume/thoth.solver.solved-package`, POST);
    expect(await resume.json()).toEqual({ topic: 'thoth.solver.solved-package', state: 'running', changed: true });
    expect(controls.halted.size).toBe(0);
  });

  it('answers 404 for a topic it does not consume and for unknown paths', async () => {
    server = await startOperatorServer({ host: '127.0.0.1', port: 0, controls: fakeControls() });
    const unknownTopic = await fetch(`${server.url}/halt/thoth.nothing`, POST);
    expect(unknownTopic.status).toBe(404);
    expect(await unknownTopic.json()).toMatchObject({ error: 'not consuming topic "thoth.nothing"' });
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'DELETE' })).status).toBe(405);
  });

  it('reports an unhealthy investigator with 503', async () => {
    server = await startOperatorServer({ host: '127.0.0.1', port: 0, controls: { ...fakeControls(), health: () => ({ ok: false }) } });
    expect((await fetch(`${server.url}/_health`)).status).toBe(503);
  });

  it('a GET of /halt or /resume changes nothing and answers 405 naming POST', async () => {
    const controls = fakeControls();
    server = await startOperatorServer({ host: '127.0.0.1', port: 0, controls });
    for (const action of ['halt', 'resume']) {
      const answer = await fetch(`${server.url}/${action}/thoth.solver.solved-package`);
      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe('POST');
      expect(((await answer.json()) as { error: string }).error).toContain('use POST');
    }
    expect(controls.halted.size).toBe(0);
  });

  it('refuses a Host that is not its address, an IP, localhost or a configured name (DNS rebinding)', async () => {
    const controls = fakeControls();
    server = await startOperatorServer({ host: '127.0.0.1', port: 0, controls, hostNames: ['thoth-investigator.thoth.svc'] });
    const path = `${server.url}/halt/thoth.solver.solved-package`;
    const rebound = await raw(path, 'POST', { host: `attacker.example:${server.port}` });
    expect(rebound.status).toBe(421);
    expect((await raw(`${server.url}/metrics`, 'GET', { host: 'attacker.example' })).status).toBe(421);
    expect(controls.halted.size).toBe(0);
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, '[::1]:6066', 'Thoth-Investigator.thoth.svc:6066']) {
      expect((await raw(`${server.url}/_health`, 'GET', { host })).status).toBe(200);
    }
    expect((await raw(path, 'POST', { host: 'thoth-investigator.thoth.svc:6066' })).status).toBe(200);
  });

  it('refuses a request from another site (Origin, Sec-Fetch-Site)', async () => {
    const controls = fakeControls();
    server = await startOperatorServer({ host: '127.0.0.1', port: 0, controls });
    const path = `${server.url}/halt/thoth.solver.solved-package`;
    const host = `127.0.0.1:${server.port}`;
    expect((await raw(path, 'POST', { host, origin: 'https://evil.example' })).status).toBe(403);
    expect((await raw(path, 'POST', { host, origin: 'null' })).status).toBe(403);
    expect((await raw(path, 'POST', { host, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await raw(path, 'POST', { host, origin: 'not a url' })).status).toBe(403);
    expect(controls.halted.size).toBe(0);
    expect((await raw(path, 'POST', { host, origin: `http://${host}` })).status).toBe(200);
  });

  it('with a token, /halt and /resume need Authorization: Bearer <token>; metrics and health do not', async () => {
    const controls = fakeControls();
    const token = 'a-long-operator-token-0123456789';
    server = await startOperatorServer({ host: '127.0.0.1', port: 0, controls, token });
    const path = `${server.url}/halt/thoth.solver.solved-package`;
    expect((await fetch(path, POST)).status).toBe(401);
    expect((await fetch(path, { method: 'POST', headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(path, { method: 'POST', headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
    expect(controls.halted.size).toBe(0);
    expect((await fetch(path, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(controls.halted.size).toBe(1);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${server.url}/_health`)).status).toBe(200);
  });

  it('a path that is not valid percent-encoding answers 400, not 500', async () => {
    server = await startOperatorServer({ host: '127.0.0.1', port: 0, controls: fakeControls() });
    for (const path of ['/halt/%ZZ', '/resume/%E0%A4%A', '/%']) {
      const answer = await fetch(`${server.url}${path}`, POST);
      expect(answer.status).toBe(400);
    }
  });
});
