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

describe('operator endpoints', () => {
  it('serves metrics and health, and halts/resumes a topic by its base name', async () => {
    const controls = fakeControls();
    server = await startOperatorServer({ host: '127.0.0.1', port: 0, controls });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);

    const health = await fetch(`${server.url}/_health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, halted: [] });

    const halt = await fetch(`${server.url}/halt/thoth.solver.solved-package`);
    expect(halt.status).toBe(200);
    expect(await halt.json()).toEqual({ topic: 'thoth.solver.solved-package', state: 'halted', changed: true });
    expect(controls.halted.has('thoth.solver.solved-package')).toBe(true);

    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toBe('thoth_investigator_halted_topics 1\n');

    const again = await fetch(`${server.url}/halt/thoth.solver.solved-package`);
    expect(await again.json()).toMatchObject({ changed: false });

    const resume = await fetch(`${server.url}/resume/thoth.solver.solved-package`);
    expect(await resume.json()).toEqual({ topic: 'thoth.solver.solved-package', state: 'running', changed: true });
    expect(controls.halted.size).toBe(0);
  });

  it('answers 404 for a topic it does not consume and for unknown paths', async () => {
    server = await startOperatorServer({ host: '127.0.0.1', port: 0, controls: fakeControls() });
    const unknownTopic = await fetch(`${server.url}/halt/thoth.nothing`);
    expect(unknownTopic.status).toBe(404);
    expect(await unknownTopic.json()).toMatchObject({ error: 'not consuming topic "thoth.nothing"' });
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'DELETE' })).status).toBe(405);
  });

  it('reports an unhealthy investigator with 503', async () => {
    server = await startOperatorServer({ host: '127.0.0.1', port: 0, controls: { ...fakeControls(), health: () => ({ ok: false }) } });
    expect((await fetch(`${server.url}/_health`)).status).toBe(503);
  });
});
