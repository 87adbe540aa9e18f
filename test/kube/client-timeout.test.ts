/**
 * A request to an API server that never answers must time out and be tried
 * again even when the caller passes its own AbortSignal (the CLI always
 * does). Node 20's AbortSignal.any can drop a combined signal in garbage
 * collection before it fires, so the test collects garbage while waiting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { buildWorkflow } from '../../src/workflows/build.js';
import { connectKube } from '../../src/kube/client.js';
import { kubeSettings } from '../../src/config/kube.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { collectGarbage } from '../support/gc.js';

let dir: string;
let server: KubeApiServer;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-kube-timeout-'));
  server = await startKubeApiServer({ namespaces: ['thoth'] });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

it('times out a hung create and tries again when the caller passes a signal', async () => {
  const lines: string[] = [];
  const log: Logger = { notice: (t) => lines.push(t), warn: (t) => lines.push(t), debug: (t) => lines.push(t) };
  const kube = await connectKube({
    cluster: kubeSettings({ KUBECONFIG: server.writeKubeconfig(dir), HOME: dir }),
    log,
    retry: { baseMs: 20, capMs: 200, requestTimeoutMs: 300 },
  });
  server.injectCreateFaults({ kind: 'hang' });
  const caller = new AbortController();
  const workflow = buildWorkflow(
    { kind: 'revsolver', parameters: { THOTH_REVSOLVER_PACKAGE_NAME: 'chardet', THOTH_REVSOLVER_PACKAGE_VERSION: '4.0.0' } },
    { namespace: 'thoth' },
  );
  // Collect garbage while the request hangs: a combined signal that nothing holds must still fire.
  const collector = setInterval(collectGarbage, 20);
  // Guard so that the old behaviour fails this test instead of hanging it.
  const guard = setTimeout(() => caller.abort(), 10_000);
  try {
    const result = await kube.createWorkflow(workflow, { signal: caller.signal });
    expect(result.outcome).toBe('created');
  } finally {
    clearInterval(collector);
    clearTimeout(guard);
  }
  expect(lines.some((l) => l.includes('request timed out') && l.includes('retrying'))).toBe(true);
  expect(server.workflows('thoth')).toHaveLength(1);
});
