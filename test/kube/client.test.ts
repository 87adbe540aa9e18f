import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FatalError, TransientError, UserError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { buildWorkflow } from '../../src/workflows/build.js';
import { connectKube } from '../../src/kube/client.js';
import { kubeSettings } from '../../src/config/kube.js';
import type { KubeClient, Workflow } from '../../src/workflows/types.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';

const FAST = { baseMs: 20, capMs: 200, requestTimeoutMs: 2_000 };

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, notice: (t) => lines.push(t), warn: (t) => lines.push(t), debug: (t) => lines.push(t) };
}

const solverWorkflow = (namespace = 'thoth', version = '2.25.1'): Workflow =>
  buildWorkflow(
    {
      kind: 'solver',
      parameters: {
        THOTH_SOLVER_NAME: 'solver-rhel-8-py38',
        THOTH_SOLVER_PACKAGES: `requests===${version}`,
        THOTH_SOLVER_INDEXES: 'https://index.example/simple',
      },
    },
    { namespace },
  );

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-kube-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function expectUserError(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

describe('connectKube without a cluster', () => {
  it('says so when KUBECONFIG names a missing file (never localhost:8080)', async () => {
    const error = await expectUserError(
      connectKube({ cluster: kubeSettings({ KUBECONFIG: join(dir, 'missing'), HOME: dir }), log: recordingLog() }),
    );
    expect(error.message).toContain('no Kubernetes cluster is configured');
    expect(error.message).toContain(join(dir, 'missing'));
    expect(error.hint).toContain('localhost:8080');
  });

  it('says so when there is no KUBECONFIG, no ~/.kube/config and no service account', async () => {
    const error = await expectUserError(connectKube({ cluster: kubeSettings({ HOME: dir }), log: recordingLog() }));
    expect(error.message).toContain('no Kubernetes cluster is configured');
    expect(error.message).toContain(join(dir, '.kube', 'config'));
  });

  it('names a --kubeconfig that does not exist, and a --context that the file lacks', async () => {
    const missing = await expectUserError(
      connectKube({ cluster: kubeSettings({ HOME: dir }), log: recordingLog(), kubeconfig: join(dir, 'nope.yaml') }),
    );
    expect(missing.message).toContain('nope.yaml');
    const server = await startKubeApiServer();
    try {
      const path = server.writeKubeconfig(dir);
      const context = await expectUserError(
        connectKube({ cluster: kubeSettings({ HOME: dir }), log: recordingLog(), kubeconfig: path, context: 'prod' }),
      );
      expect(context.message).toContain('no context "prod"');
      expect(context.hint).toContain('loopback');
    } finally {
      await server.close();
    }
  });

  it('finds ~/.kube/config when KUBECONFIG is unset', async () => {
    const server = await startKubeApiServer();
    try {
      mkdirSync(join(dir, '.kube'));
      renameSync(server.writeKubeconfig(join(dir, '.kube')), join(dir, '.kube', 'config'));
      const kube = await connectKube({ cluster: kubeSettings({ HOME: dir }), log: recordingLog() });
      expect(kube.description).toBe(`loopback@${server.url}`);
      expect(kube.description).not.toContain(server.token);
    } finally {
      await server.close();
    }
  });
});

describe('connectKube against the loopback API server', () => {
  let server: KubeApiServer;
  let kube: KubeClient;
  let log: ReturnType<typeof recordingLog>;
  beforeEach(async () => {
    server = await startKubeApiServer({ namespaces: ['thoth'] });
    log = recordingLog();
    kube = await connectKube({ cluster: kubeSettings({ KUBECONFIG: server.writeKubeconfig(dir), HOME: dir }), log, retry: FAST });
  });
  afterEach(() => server.close());

  const creates = () => server.requests.filter((r) => r.method === 'POST');

  it('creates, then meets 409 with the same idempotency key as "exists"', async () => {
    const workflow = solverWorkflow();
    expect((await kube.createWorkflow(workflow)).outcome).toBe('created');
    const again = await kube.createWorkflow(workflow);
    expect(again.outcome).toBe('exists');
    expect(again.workflow.metadata.uid).toBeDefined();
    expect(server.workflows()).toHaveLength(1);
    expect(creates().map((r) => r.status)).toEqual([201, 409]);
  });

  it('refuses a 409 whose existing workflow carries another key (a name clash)', async () => {
    const workflow = solverWorkflow();
    await kube.createWorkflow(workflow);
    const impostor = { ...workflow, metadata: { ...workflow.metadata, annotations: { 'thoth-station.ninja/idempotency-key': 'other' } } };
    const error = await expectUserError(kube.createWorkflow(impostor));
    expect(error.message).toContain('a different workflow named');
    expect(error.hint).toContain('--force');
  });

  it('retries 503 and succeeds', async () => {
    server.injectCreateFaults({ kind: 'status', status: 503 }, 2);
    expect((await kube.createWorkflow(solverWorkflow())).outcome).toBe('created');
    expect(creates().map((r) => r.status)).toEqual([503, 503, 201]);
  });

  it('honours Retry-After on 429', async () => {
    server.injectCreateFaults({ kind: 'throttle', retryAfterSeconds: 1 });
    expect((await kube.createWorkflow(solverWorkflow())).outcome).toBe('created');
    expect(creates().map((r) => r.status)).toEqual([429, 201]);
    expect(log.lines.some((l) => l.includes('HTTP 429') && l.includes('retrying in 1000 ms'))).toBe(true);
  });

  it('leaves exactly one workflow when the connection drops after the server stored it, and says this call created it', async () => {
    server.injectCreateFaults({ kind: 'drop-after-store' });
    const result = await kube.createWorkflow(solverWorkflow());
    expect(result.outcome).toBe('created');
    expect(server.workflows()).toHaveLength(1);
  });

  it('gives up on a request that never answers after its time limit and tries again', async () => {
    const patient = await connectKube({
      cluster: kubeSettings({ KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir }),
      log,
      retry: { ...FAST, requestTimeoutMs: 300 },
    });
    server.injectCreateFaults({ kind: 'hang' });
    expect((await patient.createWorkflow(solverWorkflow())).outcome).toBe('created');
    expect(log.lines.some((l) => l.includes('timed out'))).toBe(true);
  });

  it('turns persistent 5xx into a TransientError after a bounded number of attempts', async () => {
    server.injectCreateFaults({ kind: 'status', status: 500 }, 10);
    const error = await expectUserError(kube.createWorkflow(solverWorkflow()));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain('gave up after 6 attempts');
    expect(creates()).toHaveLength(6);
  });

  it('reports a namespace that does not exist as a cluster problem (no message is to blame), without retrying', async () => {
    const error = await expectUserError(kube.createWorkflow(solverWorkflow('nowhere')));
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toContain('namespace nowhere does not exist');
    expect(error.hint).toContain('kubectl create namespace nowhere');
    expect(creates()).toHaveLength(1);
  });

  it('reports a forbidden namespace with the server reason, the credential and the verb to grant', async () => {
    server.addNamespace('locked');
    server.forbidNamespace('locked');
    const error = await expectUserError(kube.createWorkflow(solverWorkflow('locked')));
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toContain('cannot create resource "workflows"');
    expect(error.message).toMatch(/credential: the token of user/);
    expect(error.hint).toContain('grant the verb create');
  });

  it('dry-runs on the server without storing anything', async () => {
    const result = await kube.createWorkflow(solverWorkflow(), { dryRun: true });
    expect(result.outcome).toBe('created');
    expect(server.workflows()).toHaveLength(0);
    expect(creates()[0].query.dryRun).toBe('All');
  });

  it('reads a workflow back, and undefined for one that does not exist', async () => {
    const workflow = solverWorkflow();
    await kube.createWorkflow(workflow);
    expect((await kube.getWorkflow('thoth', workflow.metadata.name))?.metadata.name).toBe(workflow.metadata.name);
    expect(await kube.getWorkflow('thoth', 'solver-nothing-0000000000')).toBeUndefined();
  });

  it('counts pending thoth workflows per namespace', async () => {
    const a = solverWorkflow('thoth', '1.0.0');
    const b = solverWorkflow('thoth', '2.0.0');
    const c = solverWorkflow('thoth', '3.0.0');
    for (const w of [a, b, c]) await kube.createWorkflow(w);
    server.setPhase('thoth', b.metadata.name, 'Running');
    server.setPhase('thoth', c.metadata.name, 'Pending');
    expect(await kube.countPending('thoth')).toBe(2);
    expect(server.requests.at(-1)!.query.labelSelector).toBe('app=thoth');
  });

  it('watches to completion, watching again when the server ends a watch', async () => {
    const quick = await connectKube({
      cluster: kubeSettings({ KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir }),
      log,
      retry: { ...FAST, requestTimeoutMs: 1_000 },
    });
    const workflow = solverWorkflow();
    await quick.createWorkflow(workflow);
    const phases: string[] = [];
    const done = quick.watchWorkflow(
      'thoth',
      workflow.metadata.name,
      (w) => phases.push(w.status?.phase ?? 'none'),
      new AbortController().signal,
    );
    // Wait until a first watch has ended on its timeoutSeconds and a second one has begun.
    while (server.requests.filter((r) => r.query.watch === 'true').length < 2) await new Promise((r) => setTimeout(r, 50));
    server.setPhase('thoth', workflow.metadata.name, 'Running');
    server.setPhase('thoth', workflow.metadata.name, 'Succeeded');
    const final = await done;
    expect(final.status?.phase).toBe('Succeeded');
    expect(phases).toContain('Succeeded');
    expect(phases[0]).toBe('none');
  });

  it('follows status updates that arrive through the API (PATCH of the status subresource)', async () => {
    const workflow = solverWorkflow();
    await kube.createWorkflow(workflow);
    const done = kube.watchWorkflow('thoth', workflow.metadata.name, () => {}, new AbortController().signal);
    const response = await fetch(`${server.url}/apis/argoproj.io/v1alpha1/namespaces/thoth/workflows/${workflow.metadata.name}/status`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ status: { phase: 'Succeeded' } }),
    });
    expect(response.status).toBe(200);
    expect((await done).status?.phase).toBe('Succeeded');
  });

  it('stops watching when the signal aborts', async () => {
    const workflow = solverWorkflow();
    await kube.createWorkflow(workflow);
    const controller = new AbortController();
    const watching = kube.watchWorkflow('thoth', workflow.metadata.name, () => controller.abort(), controller.signal);
    await expect(watching).rejects.toMatchObject({ name: 'CancelledError' });
  });
});
