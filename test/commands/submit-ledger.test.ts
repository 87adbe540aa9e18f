/**
 * `thoth submit` asks the cluster when the ledger says a request is still in
 * flight: a workflow that failed is reported, one that is gone is created
 * again; and a create whose answer was lost after the server stored it is
 * reported as created.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { cleanEnv, runThoth } from '../support/cli.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';

let dir: string;
let server: KubeApiServer;
let env: NodeJS.ProcessEnv;
const SUBMIT = ['submit', 'revsolver', 'chardet==4.0.0', '--namespace', 'thoth'];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-submit-ledger-'));
  server = await startKubeApiServer({ namespaces: ['thoth'] });
  env = cleanEnv({ HOME: dir, THOTH_HOME: dir, KUBECONFIG: server.writeKubeconfig(dir) });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function ledgerStatus(name: string): string | undefined {
  const store = openStore(join(dir, 'thoth.db'), { readonly: true });
  try {
    return store.findWorkflow(name)?.status;
  } finally {
    store.close();
  }
}

describe('thoth submit checks a stale ledger against the cluster', () => {
  it('says a workflow the ledger thinks Pending has failed, and that --force re-runs it', async () => {
    expect((await runThoth(SUBMIT, { env })).code).toBe(0);
    const [workflow] = server.workflows('thoth');
    server.setPhase('thoth', workflow.metadata.name, 'Failed', 'child exited 1');
    const again = await runThoth(SUBMIT, { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`workflow.argoproj.io/${workflow.metadata.name} unchanged\n`);
    expect(again.stderr).toContain(
      `workflow ${workflow.metadata.name} already exists in namespace thoth and ended Failed (child exited 1); --force submits a new run`,
    );
    expect(ledgerStatus(workflow.metadata.name)).toBe('Failed');
    expect(server.workflows('thoth')).toHaveLength(1);
  });

  it('creates again a workflow the ledger thinks Pending but the cluster no longer has', async () => {
    expect((await runThoth(SUBMIT, { env })).code).toBe(0);
    const [workflow] = server.workflows('thoth');
    server.deleteWorkflow('thoth', workflow.metadata.name);
    const again = await runThoth(SUBMIT, { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`workflow.argoproj.io/${workflow.metadata.name} created\n`);
    expect(again.stderr).toContain('the cluster no longer has it: creating it again');
    expect(server.workflows('thoth').map((w) => w.metadata.name)).toEqual([workflow.metadata.name]);
    expect(ledgerStatus(workflow.metadata.name)).toBe('Pending');
  });

  it('a workflow still running stays unchanged, and the ledger learns its phase', async () => {
    expect((await runThoth(SUBMIT, { env })).code).toBe(0);
    const [workflow] = server.workflows('thoth');
    server.setPhase('thoth', workflow.metadata.name, 'Running');
    const again = await runThoth(SUBMIT, { env });
    expect(again.stdout).toBe(`workflow.argoproj.io/${workflow.metadata.name} unchanged\n`);
    expect(again.stderr).toContain('the ledger already has');
    expect(ledgerStatus(workflow.metadata.name)).toBe('Running');
  });

  it('prints created when this run stored the workflow but lost the answer', async () => {
    server.injectCreateFaults({ kind: 'drop-after-store' });
    const result = await runThoth(SUBMIT, { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^workflow\.argoproj\.io\/revsolver-\S+ created\n$/);
    expect(server.workflows('thoth')).toHaveLength(1);
  });
});
