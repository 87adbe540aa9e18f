import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/core/errors.js';
import { record, schedule, type Effect } from '../../src/investigate/effects.js';
import { createExecutor, type ExecutorContext, type PublishRecord } from '../../src/investigate/executor.js';
import { securityIndicatorsRequest, solverRequest } from '../../src/investigate/handlers/requests.js';
import type { KubeClient } from '../../src/workflows/types.js';
import type { Store } from '../../src/store/index.js';
import { planEffects } from '../../src/investigate/dispatch.js';
import { INDEX, incoming, noIndex, tempStore, testConfig, type TempStore } from './handlers-support.js';

const key = { packageName: 'requests', packageVersion: '2.25.1', indexUrl: INDEX };
const source = { topic: 'thoth.investigator.unresolved-package', partition: 0, offset: 7 };
const solverEffect = schedule(solverRequest(key, 'solver-rhel-8-py38', null), 'no result', 'unresolved-package');
const planSi = (): Effect[] => [
  schedule(securityIndicatorsRequest(key, null), 'no SI', 'solved-package'),
  record({ what: 'security-indicators', key, state: 'scheduled' }),
];
const reRun: Effect = {
  type: 'publish',
  messageType: 'adviser-re-run',
  message: { re_run_adviser_id: 'adviser-abc', recommendation_type: 'latest' },
  key: 'adviser-abc',
  headers: {},
  reRunOf: 'adviser-abc',
};

let temp: TempStore;
let store: Store;
let published: PublishRecord[];
let counted: Array<{ name: string; labels: Record<string, string>; value: number }>;
beforeEach(() => {
  temp = tempStore();
  store = temp.store;
  published = [];
  counted = [];
});
afterEach(() => temp.dispose());

function executor(overrides: Partial<ExecutorContext> = {}) {
  return createExecutor({
    store,
    kube: null,
    namespaceFor: () => 'thoth',
    publish: async (r) => void published.push(r),
    now: () => Date.parse('2026-11-27T12:00:00Z'),
    metrics: { count: (name, labels, value) => void counted.push({ name, labels, value }) },
    origin: { componentName: 'thoth-investigator', serviceVersion: '1.2.3' },
    ...overrides,
  });
}

describe('effect executor', () => {
  it('writes records, records the workflow in the ledger with its source, and counts it', async () => {
    const events = await executor().execute(
      [record({ what: 'version', key }), record({ what: 'solved', key, solver: 'solver-fedora-34-py39' }), solverEffect],
      source,
    );
    expect(events.map((e) => e.kind)).toEqual(['recorded-workflow', 'recorded', 'recorded']);
    expect(store.isSolved(key, 'solver-fedora-34-py39')).toBe(true);
    const [entry] = store.workflowsInFlight('solver', key);
    expect(entry).toMatchObject({
      kind: 'solver',
      status: 'recorded',
      source,
      parameters: { THOTH_SOLVER_NAME: 'solver-rhel-8-py38', THOTH_SOLVER_PACKAGES: 'requests===2.25.1' },
    });
    expect(counted).toEqual([
      {
        name: 'thoth_investigator_scheduled_workflows_total',
        labels: { message_type: 'unresolved-package', workflow_type: 'solver' },
        value: 1,
      },
    ]);
  });

  it('is idempotent: the same effects again schedule nothing new', async () => {
    await executor().execute([solverEffect], source);
    const again = await executor().execute([solverEffect], { ...source, offset: 8 });
    expect(again.map((e) => e.kind)).toEqual(['known']);
    expect(store.workflowsInFlight('solver', key)).toHaveLength(1);
    expect(counted).toHaveLength(1);
  });

  it('publishes a complete follow-up body and marks the re-run published once the broker acknowledged it', async () => {
    store.addAdviceWait('adviser-abc', 'latest', key);
    await executor().execute([reRun], null);
    expect(published).toEqual([
      {
        messageType: 'adviser-re-run',
        key: 'adviser-abc',
        headers: {},
        message: expect.objectContaining({
          component_name: 'thoth-investigator',
          service_version: '1.2.3',
          version: 'v2',
          re_run_adviser_id: 'adviser-abc',
          recommendation_type: 'latest',
          origin: null,
        }),
      },
    ]);
    expect(store.markReRunPublished('adviser-abc', '2026-11-27T12:00:01Z')).toBe(false);
  });

  it('leaves the re-run unmarked when publishing fails, so a retry publishes it', async () => {
    store.addAdviceWait('adviser-abc', 'latest', key);
    const failing = executor({ publish: () => Promise.reject(new Error('broker down')) });
    await expect(failing.execute([reRun], null)).rejects.toThrow('broker down');
    expect(store.adviceRunsWaitingOn(key, [])).toHaveLength(1);
  });

  it('marks security indicators scheduled only once the workflow exists, so a retry after a cluster failure schedules them', async () => {
    let calls = 0;
    const flaky: KubeClient = {
      description: 'test@flaky',
      createWorkflow: async (workflow) => {
        if (calls++ === 0) throw new TransientError('API server answered 503');
        return { outcome: 'created', workflow };
      },
      getWorkflow: async () => undefined,
      listWorkflows: async () => [],
      watchWorkflow: async () => {
        throw new Error('not used');
      },
      countPending: async () => 0,
    };
    const effects = [record({ what: 'solved', key, solver: 'solver-rhel-8-py38' }), ...planSi()];
    await expect(executor({ kube: flaky }).execute(effects, source)).rejects.toBeInstanceOf(TransientError);
    expect(store.securityIndicatorState(key)).toBe('none');
    const retried = await executor({ kube: flaky }).execute(effects, source);
    expect(retried.map((e) => e.kind)).toEqual(['scheduled', 'recorded', 'recorded']);
    expect(store.securityIndicatorState(key)).toBe('scheduled');
  });

  it('applies nothing when one effect is invalid', async () => {
    const bad = schedule(
      { kind: 'revsolver', parameters: { THOTH_REVSOLVER_PACKAGE_NAME: 'x;rm -rf', THOTH_REVSOLVER_PACKAGE_VERSION: '1.0' } },
      'test',
    );
    await expect(executor().execute([record({ what: 'cve', key }), solverEffect, bad], source)).rejects.toBeInstanceOf(PermanentError);
    expect(store.knownVersions('requests')).toEqual([]);
    expect(store.workflowsInFlight('solver', key)).toEqual([]);
  });

  it('refuses an invalid follow-up message before applying anything', async () => {
    const invalid: Effect = { type: 'publish', messageType: 'adviser-re-run', message: { re_run_adviser_id: 5 }, key: null, headers: {} };
    await expect(executor().execute([record({ what: 'version', key }), invalid], null)).rejects.toThrow(
      /adviser-re-run follow-up message is invalid/,
    );
    expect(store.knownVersions('requests')).toEqual([]);
    expect(published).toEqual([]);
  });

  it('sends a follow-up with its password but reports it masked', async () => {
    const effect: Effect = {
      type: 'publish',
      messageType: 'package-extract-trigger',
      message: { image: 'registry.example/app:1', environment_type: 'runtime', registry_user: 'bot', registry_password: 'hunter2' },
      key: null,
      headers: {},
    };
    const events = await executor().execute([effect], null);
    expect(published[0].message.registry_password).toBe('hunter2');
    expect(JSON.stringify(events)).not.toContain('hunter2');
  });

  it('passes metrics through', async () => {
    const events = await executor().execute([{ type: 'metric', name: 'm', labels: { a: 'b' }, value: 4, kind: 'gauge' }], null);
    expect(events).toEqual([{ kind: 'metric', detail: { name: 'm', labels: { a: 'b' }, value: 4, metric: 'gauge' } }]);
    expect(counted).toEqual([{ name: 'm', labels: { a: 'b' }, value: 4 }]);
  });
});

// Against a real API server (a second cache meets 409 and counts the workflow as done, nothing created twice):
// test/cluster/investigate-streams.test.ts (a fresh cache replays every stream) and test/cluster/schedule.test.ts.

describe('closing the loop: advice runs waiting on knowledge', () => {
  const SOLVERS = ['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310'];
  const other = { packageName: 'urllib3', packageVersion: '1.26.0', indexUrl: INDEX };
  const solvedBy = (k: typeof key, solver: string): Effect[] => [
    record({ what: 'solved', key: k, solver }),
    { type: 'release-advice', key: k },
  ];
  const reRuns = () => published.filter((p) => p.messageType === 'adviser-re-run').map((p) => p.message.re_run_adviser_id);
  /** What unresolved-package leaves: the wait, and the solver workflows in flight. */
  const waitFor = async (adviserId: string, k: typeof key, solvers = SOLVERS) => {
    store.addAdviceWait(adviserId, 'stable', k);
    await executor().execute(
      solvers.map((solver) => schedule(solverRequest(k, solver, null), 'test', 'unresolved-package')),
      null,
    );
  };

  it('publishes one adviser-re-run when the last solver the advice waited on reports, and never again', async () => {
    await waitFor('adviser-abc', key);
    await executor().execute(solvedBy(key, SOLVERS[0]), null);
    await executor().execute(solvedBy(key, SOLVERS[1]), null);
    expect(reRuns()).toEqual([]);
    await executor().execute(solvedBy(key, SOLVERS[2]), null);
    expect(published.map((p) => [p.messageType, p.key, p.message.re_run_adviser_id, p.message.recommendation_type])).toEqual([
      ['adviser-re-run', 'adviser-abc', 'adviser-abc', 'stable'],
    ]);
    await executor().execute(solvedBy(key, SOLVERS[2]), null);
    expect(reRuns()).toEqual(['adviser-abc']);
  });

  it('waits only for the solver the request named (the adviser asks for its own environment)', async () => {
    await waitFor('adviser-abc', key, [SOLVERS[1]]);
    await executor().execute(solvedBy(key, SOLVERS[0]), null);
    expect(reRuns()).toEqual([]);
    await executor().execute(solvedBy(key, SOLVERS[1]), null);
    expect(reRuns()).toEqual(['adviser-abc']);
  });

  it('keeps waiting while another version the advice waits on is unsolved', async () => {
    await waitFor('adviser-abc', key);
    await waitFor('adviser-abc', other);
    for (const solver of SOLVERS) await executor().execute(solvedBy(key, solver), null);
    expect(reRuns()).toEqual([]);
    for (const solver of SOLVERS) await executor().execute(solvedBy(other, solver), null);
    expect(reRuns()).toEqual(['adviser-abc']);
  });

  it('releases the run once when the last two results are planned before either is applied (two partitions at once)', async () => {
    await waitFor('adviser-abc', key);
    await waitFor('adviser-abc', other);
    for (const solver of SOLVERS.slice(0, 2)) {
      await executor().execute(solvedBy(key, solver), null);
      await executor().execute(solvedBy(other, solver), null);
    }
    const context = { store, config: testConfig(), index: noIndex, now: Date.now };
    const solvedMessage = (k: typeof key) =>
      incoming('solved-package', {
        package_name: k.packageName,
        package_version: k.packageVersion,
        index_url: k.indexUrl,
        solver: SOLVERS[2],
      });
    const [first, second] = await Promise.all([planEffects(solvedMessage(key), context), planEffects(solvedMessage(other), context)]);
    await executor().execute(first, null);
    expect(reRuns()).toEqual([]);
    await executor().execute(second, null);
    expect(reRuns()).toEqual(['adviser-abc']);
  });

  it('does not release a run whose request is planned before, and applied after, a solved-package of another partition', async () => {
    const context = { store, config: testConfig(), index: noIndex, now: Date.now };
    const headers = { 'thoth-adviser-id': 'adviser-abc' };
    const fields = { package_name: 'requests', package_version: '2.25.1', index_url: INDEX };
    // Both planned while nothing is known: the request schedules every solver.
    const [request, solved] = await Promise.all([
      planEffects({ ...incoming('unresolved-package', fields), headers }, context),
      planEffects(incoming('solved-package', { ...fields, solver: SOLVERS[0] }), context),
    ]);
    await executor().execute(solved, null);
    await executor().execute(request, null);
    expect(reRuns()).toEqual([]);
    await executor().execute(solvedBy(key, SOLVERS[1]), null);
    expect(reRuns()).toEqual([]);
    await executor().execute(solvedBy(key, SOLVERS[2]), null);
    expect(reRuns()).toEqual(['adviser-abc']);
  });

  it('releases at once a run whose request names only versions every solver has solved', async () => {
    for (const solver of SOLVERS) store.recordSolved(key, solver);
    const context = { store, config: testConfig(), index: noIndex, now: Date.now };
    const request = await planEffects(
      {
        ...incoming('unresolved-package', { package_name: 'requests', package_version: '2.25.1', index_url: INDEX }),
        headers: { 'thoth-adviser-id': 'adviser-abc' },
      },
      context,
    );
    await executor().execute(request, null);
    await executor().execute(request, null);
    expect(reRuns()).toEqual(['adviser-abc']);
  });

  it('publishes again after a failed publish, so the run is not lost', async () => {
    await waitFor('adviser-abc', key);
    for (const solver of SOLVERS.slice(0, 2)) await executor().execute(solvedBy(key, solver), null);
    await expect(
      executor({ publish: () => Promise.reject(new Error('broker down')) }).execute(solvedBy(key, SOLVERS[2]), null),
    ).rejects.toThrow('broker down');
    await executor().execute(solvedBy(key, SOLVERS[2]), null);
    expect(reRuns()).toEqual(['adviser-abc']);
  });
});
