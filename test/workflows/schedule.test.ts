import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { openStore, type Store } from '../../src/store/index.js';
import { buildWorkflow, idempotencyKeyOf } from '../../src/workflows/build.js';
import { connectKube } from '../../src/kube/client.js';
import { kubeSettings } from '../../src/config/kube.js';
import { scheduleWorkflow } from '../../src/workflows/schedule.js';
import type { KubeClient, WorkflowRequest } from '../../src/workflows/types.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';

const quiet: Logger = { notice: () => {}, warn: () => {}, debug: () => {} };
const NOW = Date.parse('2026-11-27T12:00:00Z');
const request: WorkflowRequest = {
  kind: 'security-indicators',
  parameters: {
    THOTH_SECURITY_INDICATORS_PACKAGE_NAME: 'flask',
    THOTH_SECURITY_INDICATORS_PACKAGE_VERSION: '2.0.1',
    THOTH_SECURITY_INDICATORS_PACKAGE_INDEX: 'https://index.example/simple',
  },
  source: { topic: 'thoth.solver.solved-package', partition: 1, offset: 7 },
};

let dir: string;
let server: KubeApiServer;
let kube: KubeClient;
const stores: Store[] = [];
const store = (name = 'thoth.db') => {
  const s = openStore(join(dir, name), { create: true });
  stores.push(s);
  return s;
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-schedule-'));
  server = await startKubeApiServer();
  kube = await connectKube({
    cluster: kubeSettings({ KUBECONFIG: server.writeKubeconfig(dir), HOME: dir }),
    log: quiet,
    retry: { baseMs: 10, capMs: 50 },
  });
});
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const context = (s: Store, extra: Partial<Parameters<typeof scheduleWorkflow>[1]> = {}) => ({
  store: s,
  kube,
  namespace: 'thoth',
  now: () => NOW,
  ...extra,
});

describe('scheduleWorkflow', () => {
  it('creates the workflow, then writes the ledger with its package and source', async () => {
    const s = store();
    const result = await scheduleWorkflow(request, context(s));
    expect(result.outcome).toBe('created');
    const entry = s.findWorkflow(result.name)!;
    expect(entry).toMatchObject({
      kind: 'security-indicators',
      namespace: 'thoth',
      status: 'Pending',
      source: request.source,
      packageName: 'flask',
      packageVersion: '2.0.1',
      indexUrl: 'https://index.example/simple',
    });
    expect(entry.parameters.THOTH_SECURITY_INDICATORS_AGGREGATION_FUNCTION).toBe('process_data');
  });

  it('sends nothing when the ledger already has the request in flight', async () => {
    const s = store();
    await scheduleWorkflow(request, context(s));
    const posts = server.requests.filter((r) => r.method === 'POST').length;
    const again = await scheduleWorkflow(
      { ...request, source: { topic: 'thoth.solver.solved-package', partition: 1, offset: 8 } },
      context(s),
    );
    expect(again.outcome).toBe('known');
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(posts);
    expect(server.workflows()).toHaveLength(1);
  });

  it('survives a lost ledger write: the redelivered request meets 409 and records it, still one workflow', async () => {
    await scheduleWorkflow(request, context(store('first.db')));
    const fresh = store('second.db'); // as if the ledger write before a crash never happened
    const result = await scheduleWorkflow(request, context(fresh));
    expect(result.outcome).toBe('exists');
    expect(server.workflows()).toHaveLength(1);
    expect(fresh.findWorkflow(result.name)?.status).toBe('Pending');
  });

  it('schedules again when the same request targets another namespace', async () => {
    server.addNamespace('other');
    const s = store();
    await scheduleWorkflow(request, context(s));
    expect((await scheduleWorkflow(request, context(s, { namespace: 'other' }))).outcome).toBe('created');
    expect(server.workflows()).toHaveLength(2);
  });

  it('--force makes a second workflow under a unique name', async () => {
    const s = store();
    const first = await scheduleWorkflow(request, context(s));
    const forced = await scheduleWorkflow({ ...request, force: true }, context(s));
    expect(forced.outcome).toBe('created');
    expect(forced.name).not.toBe(first.name);
    expect(server.workflows()).toHaveLength(2);
  });

  it('record mode writes the ledger only, and knows the request the second time', async () => {
    const s = store();
    const first = await scheduleWorkflow(request, context(s, { kube: null }));
    expect(first.outcome).toBe('recorded');
    expect(s.findWorkflow(first.name)?.status).toBe('recorded');
    expect((await scheduleWorkflow(request, context(s, { kube: null }))).outcome).toBe('known');
    expect(server.requests).toHaveLength(0);
  });

  it('creates on the cluster what record mode only recorded', async () => {
    const s = store();
    await scheduleWorkflow(request, context(s, { kube: null }));
    const result = await scheduleWorkflow(request, context(s));
    expect(result.outcome).toBe('created');
    expect(s.findWorkflow(result.name)?.status).toBe('Pending');
  });

  it('writes nothing on a dry run', async () => {
    const s = store();
    const client = await scheduleWorkflow(request, context(s, { dryRun: 'client' }));
    const serverSide = await scheduleWorkflow(request, context(s, { dryRun: 'server' }));
    expect(serverSide.outcome).toBe('created');
    expect(s.findWorkflow(client.name)).toBeUndefined();
    expect(server.workflows()).toHaveLength(0);
    expect(server.requests.map((r) => r.query.dryRun)).toEqual(['All']);
  });

  it('writes nothing when the cluster refuses', async () => {
    const s = store();
    await expect(scheduleWorkflow(request, context(s, { namespace: 'missing' }))).rejects.toThrow(/namespace missing does not exist/);
    expect(s.findWorkflowByKey(idempotencyKeyOf(buildWorkflow(request, { namespace: 'missing' }))!)).toBeUndefined();
  });
});
