/**
 * The Kubernetes adapter (src/kube/client.ts) against the real API server: create and the real
 * 409, a name clash, a server dry run, reads, the pending count, watches that the server ends and
 * that are watched again, cancelling; and through the fault proxy (test/support/fault-proxy.ts)
 * what the real server does not do on demand: 5xx and 429 with Retry-After retried, an answer lost
 * after the object was stored (this call still created it), a request that never answers or
 * answers too late timed out and tried again (also when the caller passes a signal of its own).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeSettings } from '../../src/config/kube.js';
import { FatalError, TransientError, UserError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { connectKube } from '../../src/kube/client.js';
import { buildWorkflow } from '../../src/workflows/build.js';
import type { KubeClient, Workflow } from '../../src/workflows/types.js';
import { adminKubeconfig, applyDeploy, createNamespace, getWorkflow, kubectlOk, listWorkflows, setPodOutcome } from '../support/cluster.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { collectGarbage } from '../support/gc.js';

const FAST = { baseMs: 20, capMs: 200, requestTimeoutMs: 5_000 };
const TIMEOUT = 60_000;

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, notice: (t) => lines.push(t), warn: (t) => lines.push(t), debug: (t) => lines.push(t) };
}

let seq = 0;
/** A revsolver workflow of its own (a new version each call), in `namespace`. */
const workflowIn = (namespace: string): Workflow =>
  buildWorkflow(
    { kind: 'revsolver', parameters: { THOTH_REVSOLVER_PACKAGE_NAME: 'chardet', THOTH_REVSOLVER_PACKAGE_VERSION: `4.0.${seq++}` } },
    { namespace },
  );

async function expectUserError(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

const connect = (kubeconfig: string, log: Logger, retry: Partial<typeof FAST> = FAST) =>
  connectKube({ cluster: kubeSettings({ KUBECONFIG: kubeconfig, HOME: '/nonexistent' }), log, retry });

let namespace: string;
let proxy: FaultProxy;
beforeAll(async () => {
  namespace = await createNamespace('kube-client');
  await applyDeploy(namespace);
  proxy = await startFaultProxy();
});
afterAll(() => proxy.close());

describe('connectKube against the real API server', () => {
  let kube: KubeClient;
  beforeAll(async () => {
    kube = await connect(adminKubeconfig(), recordingLog());
  });

  it('lists workflows page by page, and with `unfinished` leaves out those Argo marked completed', { timeout: TIMEOUT }, async () => {
    const own = await createNamespace('kube-list');
    await applyDeploy(own);
    // Suspended (their templates there), so that Argo's controller leaves them unfinished; two marked completed as Argo marks them.
    const workflows = Array.from({ length: 5 }, (_, i) => {
      const w = workflowIn(own);
      w.spec = { ...w.spec, suspend: true };
      if (i < 2) w.metadata.labels = { ...w.metadata.labels, 'workflows.argoproj.io/completed': 'true' };
      return w;
    });
    for (const w of workflows) await kube.createWorkflow(w);
    const paged = await connectKube({
      cluster: kubeSettings({ KUBECONFIG: proxy.kubeconfig(), HOME: '/nonexistent' }),
      log: recordingLog(),
      retry: FAST,
      listPage: 2,
    });
    const names = (list: Workflow[]) => list.map((w) => w.metadata.name).sort();
    const before = proxy.requests.length;
    expect(names(await paged.listWorkflows(own))).toEqual(names(workflows));
    const lists = proxy.requests.slice(before).filter((r) => r.method === 'GET' && r.path.endsWith(`/namespaces/${own}/workflows`));
    expect(lists.map((r) => r.query.limit)).toEqual(['2', '2', '2']);
    expect(names(await paged.listWorkflows(own, { unfinished: true }))).toEqual(names(workflows.slice(2)));
  });

  it('describes the cluster as context@server, without the token', async () => {
    expect(kube.description).toMatch(/^thoth-loopback@https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('creates, then meets the real 409 with the same idempotency key as "exists"', async () => {
    const workflow = workflowIn(namespace);
    const created = await kube.createWorkflow(workflow);
    expect(created.outcome).toBe('created');
    expect(created.workflow.metadata.uid).toBeDefined();
    const again = await kube.createWorkflow(workflow);
    expect(again.outcome).toBe('exists');
    expect(again.workflow.metadata.uid).toBe(created.workflow.metadata.uid);
    expect((await listWorkflows(namespace)).filter((w) => w.metadata.name === workflow.metadata.name)).toHaveLength(1);
  });

  it('refuses a 409 whose existing workflow carries another key (a name clash)', async () => {
    const workflow = workflowIn(namespace);
    await kube.createWorkflow(workflow);
    const impostor = { ...workflow, metadata: { ...workflow.metadata, annotations: { 'thoth-station.ninja/idempotency-key': 'other' } } };
    const error = await expectUserError(kube.createWorkflow(impostor));
    expect(error.message).toBe(
      `a different workflow named ${workflow.metadata.name} already exists in namespace ${namespace} (its idempotency key does not match)`,
    );
    expect(error.hint).toContain('--force');
  });

  it('dry-runs on the server: the server answers with the object, stores nothing', async () => {
    const workflow = workflowIn(namespace);
    const result = await kube.createWorkflow(workflow, { dryRun: true });
    expect(result.outcome).toBe('created');
    expect(result.workflow.metadata.name).toBe(workflow.metadata.name);
    expect(await getWorkflow(namespace, workflow.metadata.name)).toBeUndefined();
  });

  it('reads a workflow back, and undefined for one that does not exist', async () => {
    const workflow = workflowIn(namespace);
    await kube.createWorkflow(workflow);
    expect((await kube.getWorkflow(namespace, workflow.metadata.name))?.metadata.name).toBe(workflow.metadata.name);
    expect(await kube.getWorkflow(namespace, 'revsolver-nothing-0000000000')).toBeUndefined();
  });

  it(
    'counts the thoth workflows Argo holds back as Pending (a namespace parallelism of 1, one running)',
    { timeout: TIMEOUT },
    async () => {
      const held = await createNamespace('kube-pending');
      await applyDeploy(held);
      await kubectlOk(['label', 'namespace', held, 'workflows.argoproj.io/parallelism-limit=1']);
      const removeRule = setPodOutcome({ namespace: held, outcome: 'Running' });
      try {
        const [first, ...rest] = [workflowIn(held), workflowIn(held), workflowIn(held)];
        await kube.createWorkflow(first);
        await waitFor(async () => (await getWorkflow(held, first.metadata.name))?.status?.phase === 'Running');
        for (const w of rest) await kube.createWorkflow(w);
        await waitFor(async () => (await listWorkflows(held)).filter((w) => w.status?.phase === 'Pending').length === 2);
        expect(await kube.countPending(held)).toBe(2);
        // Only thoth's own (app=thoth): a workflow of someone else's is not counted.
        await kubectlOk(['create', '-n', held, '-f', '-'], {
          input: JSON.stringify({ ...workflowIn(held), metadata: { name: 'not-thoths', namespace: held, labels: {}, annotations: {} } }),
        });
        expect((await kube.listWorkflows(held)).map((w) => w.metadata.name)).not.toContain('not-thoths');
        expect(await kube.countPending(held)).toBe(2);
      } finally {
        removeRule();
      }
    },
  );

  it(
    'watches a workflow to completion through the real controller, watching again each time the server ends a watch',
    { timeout: TIMEOUT },
    async () => {
      const removeRule = setPodOutcome({
        namespace,
        env: { THOTH_REVSOLVER_PACKAGE_NAME: '^idna$' },
        outcome: 'Succeeded',
        delayMs: 3_500,
      });
      try {
        // timeoutSeconds follows the request time limit: 1 s here, so the server ends several watches on its own.
        const quick = await connect(proxy.kubeconfig(), recordingLog(), { ...FAST, requestTimeoutMs: 1_000 });
        const workflow = buildWorkflow(
          { kind: 'revsolver', parameters: { THOTH_REVSOLVER_PACKAGE_NAME: 'idna', THOTH_REVSOLVER_PACKAGE_VERSION: '3.2' } },
          { namespace },
        );
        const watchesBefore = proxy.requests.filter((r) => r.query.watch === 'true').length;
        await quick.createWorkflow(workflow);
        const phases: string[] = [];
        const final = await quick.watchWorkflow(
          namespace,
          workflow.metadata.name,
          (w) => phases.push(w.status?.phase ?? 'none'),
          new AbortController().signal,
        );
        expect(final.status?.phase).toBe('Succeeded');
        // Argo marks what it completed: the phase watcher's list of unfinished workflows leaves it out.
        expect(final.metadata.labels?.['workflows.argoproj.io/completed']).toBe('true');
        expect((await quick.listWorkflows(namespace, { unfinished: true })).map((w) => w.metadata.name)).not.toContain(
          workflow.metadata.name,
        );
        expect(phases.at(-1)).toBe('Succeeded');
        expect(phases).toContain('Running');
        expect(proxy.requests.filter((r) => r.query.watch === 'true').length - watchesBefore).toBeGreaterThanOrEqual(2);
      } finally {
        removeRule();
      }
    },
  );

  it('stops watching when the signal aborts', async () => {
    const removeRule = setPodOutcome({ namespace, env: { THOTH_REVSOLVER_PACKAGE_NAME: '^click$' }, outcome: 'Running' });
    try {
      const workflow = buildWorkflow(
        { kind: 'revsolver', parameters: { THOTH_REVSOLVER_PACKAGE_NAME: 'click', THOTH_REVSOLVER_PACKAGE_VERSION: '8.0.3' } },
        { namespace },
      );
      await kube.createWorkflow(workflow);
      const controller = new AbortController();
      const watching = kube.watchWorkflow(namespace, workflow.metadata.name, () => controller.abort(), controller.signal);
      await expect(watching).rejects.toMatchObject({ name: 'CancelledError' });
    } finally {
      removeRule();
    }
  });

  it('reports a namespace that does not exist as a cluster problem (FatalError), without retrying', async () => {
    const log = recordingLog();
    const error = await expectUserError((await connect(adminKubeconfig(), log)).createWorkflow(workflowIn(`${namespace}-nowhere`)));
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toContain(`namespace ${namespace}-nowhere does not exist`);
    expect(log.lines.filter((l) => l.includes('retrying'))).toEqual([]);
  });
});

describe('connectKube through the fault proxy', () => {
  const creates = () => proxy.creates();

  it('retries 503 and 500 and then creates', async () => {
    const kube = await connect(proxy.kubeconfig(), recordingLog());
    proxy.inject({ kind: 'status', status: 503 });
    proxy.inject({ kind: 'status', status: 500 });
    const before = creates().length;
    expect((await kube.createWorkflow(workflowIn(namespace))).outcome).toBe('created');
    expect(
      creates()
        .slice(before)
        .map((r) => r.status),
    ).toEqual([503, 500, 201]);
  });

  it("honours the server's Retry-After on 429", async () => {
    const log = recordingLog();
    const kube = await connect(proxy.kubeconfig(), log);
    proxy.inject({ kind: 'throttle', retryAfterSeconds: 1 });
    const before = creates().length;
    const began = Date.now();
    expect((await kube.createWorkflow(workflowIn(namespace))).outcome).toBe('created');
    expect(Date.now() - began).toBeGreaterThanOrEqual(1_000);
    expect(
      creates()
        .slice(before)
        .map((r) => r.status),
    ).toEqual([429, 201]);
    expect(log.lines.some((l) => l.includes('HTTP 429') && l.includes('retrying in 1000 ms'))).toBe(true);
  });

  it('turns persistent 5xx into a TransientError after a bounded number of attempts', async () => {
    const kube = await connect(proxy.kubeconfig(), recordingLog());
    // As many as the client tries: one more attempt than it should make would get through and create.
    proxy.inject({ kind: 'status', status: 500 }, { count: 6 });
    const before = creates().length;
    const error = await expectUserError(kube.createWorkflow(workflowIn(namespace)));
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/HTTP 500: injected by the fault proxy \(gave up after 6 attempts\)$/);
    expect(creates().length - before).toBe(6);
  });

  it('leaves one workflow, and says this call created it, when the answer is lost after the server stored it', async () => {
    const kube = await connect(proxy.kubeconfig(), recordingLog());
    proxy.inject({ kind: 'lost' });
    const workflow = workflowIn(namespace);
    const before = creates().length;
    const result = await kube.createWorkflow(workflow);
    expect(result.outcome).toBe('created');
    expect(
      creates()
        .slice(before)
        .map((r) => [r.fault, r.status]),
    ).toEqual([
      ['lost', 0],
      [undefined, 409],
    ]);
    expect((await listWorkflows(namespace)).filter((w) => w.metadata.name === workflow.metadata.name)).toHaveLength(1);
  });

  it('times out an answer that comes too late (stored meanwhile), tries again and says created', async () => {
    const log = recordingLog();
    const kube = await connect(proxy.kubeconfig(), log, { ...FAST, requestTimeoutMs: 2_000 });
    proxy.inject({ kind: 'slow', delayMs: 6_000 });
    const workflow = workflowIn(namespace);
    const result = await kube.createWorkflow(workflow);
    expect(result.outcome).toBe('created');
    expect(log.lines.some((l) => /request to the API server \S+ timed out; retrying/.test(l))).toBe(true);
    expect((await listWorkflows(namespace)).filter((w) => w.metadata.name === workflow.metadata.name)).toHaveLength(1);
  });

  it('times out a request that never answers and tries again, also when the caller passes a signal of its own', async () => {
    const log = recordingLog();
    // Long enough for a real create through the proxy on a busy machine, short enough to wait out once.
    const kube = await connect(proxy.kubeconfig(), log, { ...FAST, requestTimeoutMs: 2_000 });
    proxy.inject({ kind: 'hang' });
    const caller = new AbortController();
    // Collect garbage while the request hangs: a combined signal that nothing holds must still fire (Node 20's AbortSignal.any).
    const collector = setInterval(collectGarbage, 20);
    // Guard so that a regression fails this test instead of hanging it.
    const guard = setTimeout(() => caller.abort(), 10_000);
    try {
      expect((await kube.createWorkflow(workflowIn(namespace), { signal: caller.signal })).outcome).toBe('created');
    } finally {
      clearInterval(collector);
      clearTimeout(guard);
    }
    expect(log.lines.some((l) => l.includes('timed out') && l.includes('retrying'))).toBe(true);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
