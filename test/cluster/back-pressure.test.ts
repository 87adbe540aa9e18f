/**
 * Back-pressure (ARGO_PENDING_WORKFLOW_LIMIT / --pending-limit) against Argo's real controller:
 * a namespace whose parallelism Argo limits to one (the namespace label
 * workflows.argoproj.io/parallelism-limit), one workflow holding that place (its pod never
 * ends), so Argo keeps every new workflow Pending. The investigator pauses once the namespace
 * holds --pending-limit pending workflows, and resumes when Argo starts one of them.
 */
import { describe, expect, it } from 'vitest';
import { cleanEnv } from '../support/cli.js';
import {
  adminKubeconfig,
  applyDeploy,
  createNamespace,
  kubectlOk,
  listWorkflows,
  setPodOutcome,
  waitForWorkflowPhase,
} from '../support/cluster.js';
import { INDEX, machine } from '../support/cluster-runs.js';
import { startInvestigator, unresolved, waitFor } from '../investigate/investigator-process.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

describe('back-pressure on the real controller', () => {
  it(
    'pauses while the namespace holds --pending-limit pending workflows, and resumes once Argo starts one',
    { timeout: 120_000 },
    async () => {
      const namespace = await createNamespace('back-pressure');
      await applyDeploy(namespace);
      await kubectlOk(['label', 'namespace', namespace, 'workflows.argoproj.io/parallelism-limit=1']);
      const removeRule = setPodOutcome({ namespace, outcome: 'Running' });
      try {
        const m = machine({ KUBECONFIG: adminKubeconfig() });
        // The workflow that takes the one place (a thoth workflow too, but Running: not pending).
        const blocker = await m.thoth(['submit', 'revsolver', 'six==1.16.0', '--namespace', namespace]);
        expect(blocker.code, blocker.stderr).toBe(0);
        const blockerName = /workflow\.argoproj\.io\/(\S+) created/.exec(blocker.stdout)![1];
        await waitForWorkflowPhase(namespace, blockerName, ['Running']);

        const stream = join(m.home, 'stream.ndjson');
        writeFileSync(stream, `${['1.0.0', '1.0.1', '1.0.2'].map((v) => unresolved('flask', v)).join('\n')}\n`);
        const run = startInvestigator(
          [
            '--db',
            m.db,
            'investigate',
            '--from',
            stream,
            '--workflows',
            'cluster',
            '--kubeconfig',
            adminKubeconfig(),
            '--namespace',
            namespace,
            '--pending-limit',
            '2',
          ],
          cleanEnv({ HOME: m.home, THOTH_INDEX_URLS: INDEX, THOTH_SOLVERS: 'solver-rhel-8-py38' }),
        );
        const paused = await waitFor(() => run.events.find((e) => e.event === 'paused'), 'the pause');
        expect(paused).toMatchObject({ namespace, pending: 2, limit: 2 });
        const solvers = async () => (await listWorkflows(namespace)).filter((w) => w.metadata.labels.component === 'solver');
        expect(await solvers()).toHaveLength(2);
        // Argo holds them back (no phase yet, or Pending "postponed because too many workflows are already running").
        for (const w of await solvers()) expect(w.status?.phase ?? 'Pending').toBe('Pending');

        // The place frees up: Argo starts one of the two, the namespace holds one pending, the investigator goes on.
        await kubectlOk(['delete', 'workflow', blockerName, '-n', namespace]);
        const exited = await run.exited;
        expect(exited.code, run.stderr()).toBe(0);
        expect(run.events.some((e) => e.event === 'resumed' && e.namespace === namespace)).toBe(true);
        expect(await solvers()).toHaveLength(3);
      } finally {
        removeRule();
      }
    },
  );
});
