/**
 * scheduleWorkflow where no API server takes part: record mode (`--workflows record`) and the
 * client dry run. Against the real API server: test/cluster/schedule.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { scheduleWorkflow } from '../../src/workflows/schedule.js';
import type { WorkflowRequest } from '../../src/workflows/types.js';

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
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-schedule-'));
  store = openStore(join(dir, 'thoth.db'), { create: true });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const context = (extra: Partial<Parameters<typeof scheduleWorkflow>[1]> = {}) => ({
  store,
  kube: null,
  namespace: 'thoth',
  now: () => NOW,
  ...extra,
});

describe('scheduleWorkflow without a cluster', () => {
  it('record mode writes the ledger only, and knows the request the second time', async () => {
    const first = await scheduleWorkflow(request, context());
    expect(first.outcome).toBe('recorded');
    expect(store.findWorkflow(first.name)).toMatchObject({ status: 'recorded', source: request.source, packageName: 'flask' });
    expect((await scheduleWorkflow(request, context())).outcome).toBe('known');
  });

  it('a client dry run builds the workflow and writes nothing', async () => {
    const result = await scheduleWorkflow(request, context({ dryRun: 'client' }));
    expect(result.outcome).toBe('created');
    expect(result.workflow.spec.workflowTemplateRef).toEqual({ name: 'thoth-security-indicators' });
    expect(store.findWorkflow(result.name)).toBeUndefined();
  });
});
