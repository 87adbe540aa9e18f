/**
 * scheduleWorkflow (src/workflows/schedule.ts), the one idempotent path of the investigator and
 * `thoth submit`, against the real API server (through the fault proxy, which here only counts
 * the requests): the cluster first and the ledger second, nothing sent for a request in flight,
 * a lost ledger write healed by the real 409, one workflow per namespace, --force, a server dry
 * run, and nothing written when the cluster refuses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kubeSettings } from '../../src/config/kube.js';
import type { Logger } from '../../src/core/logger.js';
import { connectKube } from '../../src/kube/client.js';
import { openStore, type Store } from '../../src/store/index.js';
import { buildWorkflow, idempotencyKeyOf } from '../../src/workflows/build.js';
import { scheduleWorkflow } from '../../src/workflows/schedule.js';
import type { KubeClient, WorkflowRequest } from '../../src/workflows/types.js';
import { applyDeploy, createNamespace, getWorkflow, listWorkflows } from '../support/cluster.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';

const quiet: Logger = { notice: () => {}, warn: () => {}, debug: () => {} };
const NOW = Date.parse('2026-11-27T12:00:00Z');
let seq = 0;
/** A security-indicators request of its own (a new version each time), from a message. */
const newRequest = (): WorkflowRequest => ({
  kind: 'security-indicators',
  parameters: {
    THOTH_SECURITY_INDICATORS_PACKAGE_NAME: 'flask',
    THOTH_SECURITY_INDICATORS_PACKAGE_VERSION: `2.0.${seq++}`,
    THOTH_SECURITY_INDICATORS_PACKAGE_INDEX: 'https://index.example/simple',
  },
  source: { topic: 'thoth.solver.solved-package', partition: 1, offset: 7 },
});

let namespace: string;
let other: string;
let proxy: FaultProxy;
let kube: KubeClient;
let dir: string;
const stores: Store[] = [];
const store = (name = 'thoth.db') => {
  const s = openStore(join(dir, name), { create: true });
  stores.push(s);
  return s;
};

beforeAll(async () => {
  [namespace, other] = await Promise.all([createNamespace('schedule'), createNamespace('schedule-other')]);
  await Promise.all([applyDeploy(namespace), applyDeploy(other)]);
  proxy = await startFaultProxy();
  kube = await connectKube({
    cluster: kubeSettings({ KUBECONFIG: proxy.kubeconfig(), HOME: '/nonexistent' }),
    log: quiet,
    retry: { baseMs: 10, capMs: 50 },
  });
});
afterAll(() => proxy.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-schedule-'));
});
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const context = (s: Store, extra: Partial<Parameters<typeof scheduleWorkflow>[1]> = {}) => ({
  store: s,
  kube,
  namespace,
  now: () => NOW,
  ...extra,
});
const named = async (ns: string, name: string) => (await listWorkflows(ns)).filter((w) => w.metadata.name === name);

describe('scheduleWorkflow on the real API server', () => {
  it('creates the workflow, then writes the ledger with its package and source', async () => {
    const s = store();
    const request = newRequest();
    const result = await scheduleWorkflow(request, context(s));
    expect(result.outcome).toBe('created');
    expect(await named(namespace, result.name)).toHaveLength(1);
    const entry = s.findWorkflow(result.name)!;
    expect(entry).toMatchObject({
      kind: 'security-indicators',
      namespace,
      status: 'Pending',
      source: request.source,
      packageName: 'flask',
      packageVersion: request.parameters.THOTH_SECURITY_INDICATORS_PACKAGE_VERSION,
      indexUrl: 'https://index.example/simple',
    });
    expect(entry.parameters.THOTH_SECURITY_INDICATORS_AGGREGATION_FUNCTION).toBe('process_data');
  });

  it('sends nothing when the ledger already has the request in flight', async () => {
    const s = store();
    const request = newRequest();
    await scheduleWorkflow(request, context(s));
    const posts = proxy.creates().length;
    const again = await scheduleWorkflow(
      { ...request, source: { topic: 'thoth.solver.solved-package', partition: 1, offset: 8 } },
      context(s),
    );
    expect(again.outcome).toBe('known');
    expect(proxy.creates()).toHaveLength(posts);
  });

  it('survives a lost ledger write: the redelivered request meets the real 409 and records it, still one workflow', async () => {
    const request = newRequest();
    const first = await scheduleWorkflow(request, context(store('first.db')));
    const fresh = store('second.db'); // as if the ledger write before a crash never happened
    const result = await scheduleWorkflow(request, context(fresh));
    expect(result.outcome).toBe('exists');
    expect(result.workflow.metadata.uid).toBe(first.workflow.metadata.uid);
    expect(await named(namespace, result.name)).toHaveLength(1);
    expect(fresh.findWorkflow(result.name)?.status).toMatch(/^(Pending|Running|Succeeded)$/);
  });

  it('schedules again when the same request targets another namespace', async () => {
    const s = store();
    const request = newRequest();
    const here = await scheduleWorkflow(request, context(s));
    const there = await scheduleWorkflow(request, context(s, { namespace: other }));
    expect(there.outcome).toBe('created');
    expect(await named(namespace, here.name)).toHaveLength(1);
    expect(await named(other, here.name)).toHaveLength(1);
  });

  it('--force makes a second workflow under a unique name', async () => {
    const s = store();
    const request = newRequest();
    const first = await scheduleWorkflow(request, context(s));
    const forced = await scheduleWorkflow({ ...request, force: true }, context(s));
    expect(forced.outcome).toBe('created');
    expect(forced.name.startsWith(`${first.name}-`)).toBe(true);
    expect(await named(namespace, forced.name)).toHaveLength(1);
  });

  it('creates on the cluster what record mode only recorded', async () => {
    const s = store();
    const request = newRequest();
    await scheduleWorkflow(request, context(s, { kube: null }));
    const result = await scheduleWorkflow(request, context(s));
    expect(result.outcome).toBe('created');
    expect(s.findWorkflow(result.name)?.status).toBe('Pending');
    expect(await named(namespace, result.name)).toHaveLength(1);
  });

  it('a server dry run asks the server (dryRun=All), writes no ledger and stores nothing', async () => {
    const s = store();
    const request = newRequest();
    const before = proxy.requests.length;
    const result = await scheduleWorkflow(request, context(s, { dryRun: 'server' }));
    expect(result.outcome).toBe('created');
    expect(proxy.requests.slice(before).map((r) => [r.method, r.query.dryRun])).toEqual([['POST', 'All']]);
    expect(s.findWorkflow(result.name)).toBeUndefined();
    expect(await getWorkflow(namespace, result.name)).toBeUndefined();
  });

  it('writes nothing when the cluster refuses', async () => {
    const s = store();
    const request = newRequest();
    const missing = `${namespace}-missing`;
    await expect(scheduleWorkflow(request, context(s, { namespace: missing }))).rejects.toThrow(`namespace ${missing} does not exist`);
    expect(s.findWorkflowByKey(idempotencyKeyOf(buildWorkflow(request, { namespace: missing }))!)).toBeUndefined();
  });
});
