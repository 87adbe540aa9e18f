/**
 * The investigator's phase follower against Argo's real controller: while `thoth investigate
 * --workflows cluster` runs, the ledger takes each workflow's real phase, and a
 * security-indicators workflow that fails marks its version as SPEC §3/§5 say: its security
 * indicators "failed", never scheduled again for that version (SI fails only once), while the
 * version whose SI workflow succeeded is analysed and leaves `query si-unanalyzed`.
 */
import { describe, expect, it } from 'vitest';
import { adminKubeconfig, applyDeploy, createNamespace, listWorkflows, setPodOutcome } from '../support/cluster.js';
import { INDEX, machine, type Machine } from '../support/cluster-runs.js';

const TIMEOUT = 120_000;

interface LedgerWorkflow {
  name: string;
  kind: string;
  status: string;
  parameters: Record<string, string>;
}

/** Runs the investigator until `done` says the ledger is where the test wants it (checked every 250 ms), then stops it as SIGTERM would. */
async function investigateUntil(m: Machine, args: string[], done: (ledger: LedgerWorkflow[]) => boolean) {
  const stop = new AbortController();
  let ended = false;
  const running = m.investigate(args, { idleSeconds: null, signal: stop.signal }).finally(() => (ended = true));
  const deadline = Date.now() + 60_000;
  let ledger: LedgerWorkflow[] = [];
  try {
    while (Date.now() < deadline && !ended) {
      await new Promise((r) => setTimeout(r, 250));
      ledger = await m.query<LedgerWorkflow[]>('workflows').catch(() => []);
      if (done(ledger)) break;
    }
  } finally {
    stop.abort('SIGTERM');
  }
  const run = await running;
  expect(run.code, run.stderr).toBe(0);
  return { run, ledger };
}

const solved = (pkg: string) => [pkg, '--index-url', INDEX, '--solver', 'solver-rhel-8-py38'];

describe('the phase follower on the real controller', () => {
  it(
    'writes real phases to the ledger; a failed security-indicators workflow marks its version failed, once',
    { timeout: TIMEOUT },
    async () => {
      const namespace = await createNamespace('phases');
      await applyDeploy(namespace);
      const removeRule = setPodOutcome({
        namespace,
        env: { THOTH_SI_BANDIT_PACKAGE_NAME: '^flask$' },
        outcome: 'Failed',
        exitCode: 1,
        message: 'no source distribution',
      });
      try {
        const m = machine({ KUBECONFIG: adminKubeconfig() });
        for (const pkg of ['flask==2.0.1', 'numpy==1.21.4']) expect((await m.publish('solved-package', ...solved(pkg))).code).toBe(0);

        const si = (ledger: LedgerWorkflow[], name: string) =>
          ledger.find((w) => w.kind === 'security-indicators' && w.parameters.THOTH_SECURITY_INDICATORS_PACKAGE_NAME === name);
        const { run, ledger } = await investigateUntil(
          m,
          ['--namespace', namespace],
          (l) => si(l, 'flask')?.status === 'Failed' && si(l, 'numpy')?.status === 'Succeeded',
        );
        const flask = si(ledger, 'flask')!;
        const numpy = si(ledger, 'numpy')!;
        expect([flask.status, numpy.status]).toEqual(['Failed', 'Succeeded']);
        // Each change was announced as it was seen.
        const phases = run.events.filter((e) => e.event === 'workflow-phase');
        expect(phases).toContainEqual(expect.objectContaining({ name: flask.name, kind: 'security-indicators', status: 'Failed' }));
        expect(phases).toContainEqual(expect.objectContaining({ name: numpy.name, kind: 'security-indicators', status: 'Succeeded' }));

        const report = async (name: string, version: string) =>
          (await m.query<{ versions: Array<Record<string, unknown>> }>('package', name, version)).versions[0];
        expect(await report('flask', '2.0.1')).toMatchObject({ security_indicators: 'failed' });
        expect(await report('numpy', '1.21.4')).toMatchObject({ security_indicators: 'done' });
        // Analysed versions leave the list; the failed one stays, saying so.
        expect(await m.query('si-unanalyzed')).toEqual([
          expect.objectContaining({ package_name: 'flask', package_version: '2.0.1', security_indicators: 'failed' }),
        ]);

        // Asked again for the failed version: the same work does not fail twice.
        expect((await m.publish('si-unanalyzed-package', 'flask==2.0.1', '--index-url', INDEX)).code).toBe(0);
        const again = await m.investigate(['--namespace', namespace]);
        expect(again.code, again.stderr).toBe(0);
        expect(again.summary?.counts).toMatchObject({ processed: 1, workflowsScheduled: 0, deadLetters: 0 });
        const onCluster = await listWorkflows(namespace);
        expect(onCluster.filter((w) => w.metadata.labels.component === 'security-indicators')).toHaveLength(2);
      } finally {
        removeRule();
      }
    },
  );
});
