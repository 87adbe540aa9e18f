/**
 * `thoth submit --wait | --watch [--timeout D]` following a workflow through the phases Argo's
 * real controller gives it (the loopback kubelet ends its pods as a rule says): exit 0 when it
 * succeeded, 1 with the failing step and its message when it failed, node progress on stderr
 * with --watch, and with --timeout exit 1 naming the phase it last saw.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { cleanEnv, runThoth } from '../support/cli.js';
import {
  adminKubeconfig,
  applyDeploy,
  createNamespace,
  getWorkflow,
  kubeconfigForToken,
  serviceAccountToken,
  setPodOutcome,
} from '../support/cluster.js';
import { expectRefusal } from '../support/cluster-runs.js';

const TIMEOUT = 120_000;
let namespace: string;
let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  namespace = await createNamespace('submit-wait');
  await applyDeploy(namespace);
  home = mkdtempSync(join(tmpdir(), 'thoth-submit-wait-'));
  env = cleanEnv({ HOME: home, THOTH_HOME: home, KUBECONFIG: adminKubeconfig() });
});

const submit = (pkg: string, ...flags: string[]) => runThoth(['submit', 'revsolver', pkg, '--namespace', namespace, ...flags], { env });
const nameIn = (stdout: string) => /^workflow\.argoproj\.io\/(\S+) created\n/.exec(stdout)![1];
function ledgerStatus(name: string): string | undefined {
  const store = openStore(join(home, 'thoth.db'), { readonly: true });
  try {
    return store.findWorkflow(name)?.status;
  } finally {
    store.close();
  }
}

describe('thoth submit --wait / --watch on the real controller', () => {
  it('--wait exits 0 once the workflow Succeeded', { timeout: TIMEOUT }, async () => {
    const result = await submit('flask==2.0.1', '--wait');
    expect(result.code, result.stderr).toBe(0);
    const name = nameIn(result.stdout);
    expect(result.stdout).toBe(`workflow.argoproj.io/${name} created\nworkflow.argoproj.io/${name} Succeeded\n`);
    expect((await getWorkflow(namespace, name))?.status?.phase).toBe('Succeeded');
    expect(ledgerStatus(name)).toBe('Succeeded');
  });

  it('--wait exits 1 naming the failed step and its message', { timeout: TIMEOUT }, async () => {
    const removeRule = setPodOutcome({
      namespace,
      env: { THOTH_REVSOLVER_PACKAGE_NAME: '^jinja2$' },
      outcome: 'Failed',
      exitCode: 3,
      message: 'no such version',
    });
    try {
      const result = await submit('jinja2==3.0.1', '--wait');
      expect(result.code).toBe(1);
      const name = nameIn(result.stdout);
      expect(result.stdout).toBe(`workflow.argoproj.io/${name} created\nworkflow.argoproj.io/${name} Failed\n`);
      expect(result.stderr).toMatch(
        new RegExp(
          `^error: workflow ${name} in namespace ${namespace} ended Failed: node revsolver\\(0\\): main: Error \\(exit code 3\\): no such version$`,
          'm',
        ),
      );
      expect(ledgerStatus(name)).toBe('Failed');
    } finally {
      removeRule();
    }
  });

  it('--watch shows the phase and each node as the controller reports them', { timeout: TIMEOUT }, async () => {
    const removeRule = setPodOutcome({ namespace, env: { THOTH_REVSOLVER_PACKAGE_NAME: '^click$' }, outcome: 'Succeeded', delayMs: 1500 });
    try {
      const result = await submit('click==8.0.3', '--watch');
      expect(result.code, result.stderr).toBe(0);
      const name = nameIn(result.stdout);
      const progress = result.stderr.split('\n').filter((line) => line.startsWith(name));
      // Not a tty: one line per change of the head line, ending with every node done.
      expect(progress[0]).toMatch(new RegExp(`^${name}  (Pending|Running)`));
      expect(progress).toContainEqual(expect.stringMatching(new RegExp(`^${name}  Running  0/1 nodes`)));
      expect(progress.at(-1)).toBe(`${name}  Succeeded  1/1 nodes`);
    } finally {
      removeRule();
    }
  });

  it('--timeout gives up on a workflow that keeps running: exit 1 with the phase it last saw', { timeout: TIMEOUT }, async () => {
    const removeRule = setPodOutcome({ namespace, env: { THOTH_REVSOLVER_PACKAGE_NAME: '^numpy$' }, outcome: 'Running' });
    try {
      const began = Date.now();
      const result = await submit('numpy==1.21.4', '--wait', '--timeout', '4s');
      expect(result.code).toBe(1);
      expect(Date.now() - began).toBeLessThan(15_000);
      const name = nameIn(result.stdout);
      expect(result.stderr).toContain(
        `error: workflow ${name} in namespace ${namespace} did not finish within 4s; last seen phase Running (0/1 steps done)`,
      );
      expect((await getWorkflow(namespace, name))?.status?.phase).toBe('Running');
      expect(ledgerStatus(name)).toBe('Running');
    } finally {
      removeRule();
    }
  });

  it(
    '--wait with credentials that may create but not watch (the investigator Role): one line naming the verb to grant, exit 1',
    { timeout: TIMEOUT },
    async () => {
      const token = await serviceAccountToken(namespace, 'thoth-investigator');
      const result = await runThoth(['submit', 'revsolver', 'six==1.16.0', '--namespace', namespace, '--wait'], {
        env: { ...env, KUBECONFIG: kubeconfigForToken(token, namespace) },
      });
      // Created (the Role grants create), then the watch is refused: the real server sends the watch no reason, thoth names it.
      expect(result.stdout).toMatch(/^workflow\.argoproj\.io\/revsolver-six-1-16-0-\S+ created\n$/);
      expectRefusal(
        result,
        new RegExp(
          `^error: watching workflow \\S+ in namespace ${namespace}: the token of user "token" \\(kubeconfig context token\\) may not watch workflows\\.argoproj\\.io in namespace ${namespace} \\(403 Forbidden\\)$`,
        ),
        new RegExp(
          `^hint: grant the verb watch on workflows\\.argoproj\\.io in namespace ${namespace} to the credentials you submit with .*--wait and --watch need it.*kubectl auth can-i watch workflows\\.argoproj\\.io -n ${namespace}$`,
        ),
      );
      expect(result.stdout + result.stderr).not.toContain(token);
    },
  );
});
