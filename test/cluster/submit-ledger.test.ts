/**
 * What `thoth submit` says when its local ledger and the real cluster disagree: a workflow made
 * by another machine (a fresh HOME, the in-cluster investigator) is "unchanged", and one that
 * ended Failed gets the --force hint; a workflow the ledger thinks in flight but the cluster no
 * longer has is created again; "created" only when this very call created it, also when the
 * server's answer to the create was lost (a fault proxy cuts it) and the retry met 409.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { cleanEnv, runThoth } from '../support/cli.js';
import {
  adminKubeconfig,
  applyDeploy,
  createNamespace,
  kubectlOk,
  listWorkflows,
  setPodOutcome,
  waitForWorkflowPhase,
} from '../support/cluster.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';

const TIMEOUT = 120_000;

/** A machine of its own: its HOME, its ledger. */
function machine(kubeconfig = adminKubeconfig()) {
  const home = mkdtempSync(join(tmpdir(), 'thoth-machine-'));
  const env = cleanEnv({ HOME: home, THOTH_HOME: home, KUBECONFIG: kubeconfig });
  return {
    submit: (args: string[]) => runThoth(['submit', ...args], { env }),
    ledgerStatus(name: string): string | undefined {
      const store = openStore(join(home, 'thoth.db'), { readonly: true });
      try {
        return store.findWorkflow(name)?.status;
      } finally {
        store.close();
      }
    },
  };
}

let namespace: string;
let proxy: FaultProxy;
beforeAll(async () => {
  namespace = await createNamespace('submit-ledger');
  await applyDeploy(namespace);
  proxy = await startFaultProxy();
});
afterAll(() => proxy.close());

const nameIn = (stdout: string) => /^workflow\.argoproj\.io\/(\S+) /.exec(stdout)![1];

describe('thoth submit against a cluster its ledger does not know', () => {
  it('says unchanged for a workflow another machine created, and creates nothing', { timeout: TIMEOUT }, async () => {
    const args = ['revsolver', 'six==1.16.0', '--namespace', namespace];
    const first = await machine().submit(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/ created\n$/);
    const name = nameIn(first.stdout);

    const other = machine();
    const second = await other.submit(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(`workflow.argoproj.io/${name} unchanged\n`);
    expect((await listWorkflows(namespace)).filter((w) => w.metadata.name.startsWith('revsolver-six-'))).toHaveLength(1);
    // Its ledger now knows the workflow, in the phase the cluster gave it.
    expect(other.ledgerStatus(name)).toMatch(/^(Pending|Running|Succeeded)$/);
  });

  it('says that a workflow another machine created ended Failed, and that --force runs it again', { timeout: TIMEOUT }, async () => {
    const removeRule = setPodOutcome({
      namespace,
      env: { THOTH_REVSOLVER_PACKAGE_NAME: '^chardet$' },
      outcome: 'Failed',
      exitCode: 2,
      message: 'no such release',
    });
    try {
      const args = ['revsolver', 'chardet==4.0.0', '--namespace', namespace];
      const first = machine();
      const created = await first.submit(args);
      expect(created.code, created.stderr).toBe(0);
      const name = nameIn(created.stdout);
      const failed = await waitForWorkflowPhase(namespace, name, ['Succeeded', 'Failed', 'Error']);
      expect(failed.status?.phase).toBe('Failed');

      for (const who of [machine(), first]) {
        const again = await who.submit(args);
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout).toBe(`workflow.argoproj.io/${name} unchanged\n`);
        expect(again.stderr).toContain(`workflow ${name} already exists in namespace ${namespace} and ended Failed`);
        expect(again.stderr).toContain('--force submits a new run');
        expect(who.ledgerStatus(name)).toBe('Failed');
      }
      const forced = await first.submit([...args, '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toMatch(new RegExp(`^workflow\\.argoproj\\.io/${name}-[a-z0-9]{5} created\\n$`));
    } finally {
      removeRule();
    }
  });

  it('creates again a workflow its ledger has in flight but the cluster deleted (a TTL, argo delete)', { timeout: TIMEOUT }, async () => {
    const removeRule = setPodOutcome({ namespace, env: { THOTH_REVSOLVER_PACKAGE_NAME: '^idna$' }, outcome: 'Running' });
    try {
      const args = ['revsolver', 'idna==3.2', '--namespace', namespace];
      const here = machine();
      const name = nameIn((await here.submit(args)).stdout);
      await waitForWorkflowPhase(namespace, name, ['Running']);
      const running = await here.submit(args);
      expect(running.stdout).toBe(`workflow.argoproj.io/${name} unchanged\n`);
      expect(here.ledgerStatus(name)).toBe('Running');

      await kubectlOk(['delete', 'workflow', name, '-n', namespace, '--wait=true']);
      const again = await here.submit(args);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toBe(`workflow.argoproj.io/${name} created\n`);
      expect(again.stderr).toContain(`the ledger had ${name} as Running, but the cluster no longer has it: creating it again`);
      expect((await listWorkflows(namespace)).filter((w) => w.metadata.name === name)).toHaveLength(1);
    } finally {
      removeRule();
    }
  });

  it('says created when the server stored the workflow but its answer was lost, and the retry met 409', { timeout: TIMEOUT }, async () => {
    proxy.inject({ kind: 'lost' });
    const before = proxy.creates().length;
    const lost = await machine(proxy.kubeconfig()).submit(['revsolver', 'urllib3==1.26.5', '--namespace', namespace]);
    expect(lost.code, lost.stderr).toBe(0);
    expect(lost.stdout).toMatch(/^workflow\.argoproj\.io\/revsolver-urllib3-1-26-5-\S+ created\n$/);
    expect(lost.stderr).toMatch(
      /connection to the API server https:\/\/127\.0\.0\.1:\d+ failed \(ECONNRESET\); retrying in \d+ ms \(attempt 2 of 6\)/,
    );
    // The first create was stored and its answer cut; the second met the real server's 409.
    expect(
      proxy
        .creates()
        .slice(before)
        .map((r) => [r.fault, r.status]),
    ).toEqual([
      ['lost', 0],
      [undefined, 409],
    ]);
    expect((await listWorkflows(namespace)).filter((w) => w.metadata.name === nameIn(lost.stdout))).toHaveLength(1);
  });
});
