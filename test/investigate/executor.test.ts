import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/core/errors.js';
import { record, schedule, type Effect } from '../../src/investigate/effects.js';
import { createExecutor, type CommitPort, type ExecutorContext } from '../../src/investigate/executor.js';
import { securityIndicatorsRequest, solverRequest } from '../../src/investigate/handlers/requests.js';
import type { KubeClient } from '../../src/workflows/types.js';
import type { Store } from '../../src/store/index.js';
import type { OutgoingRecord } from '../../src/transport/port.js';
import { INDEX, tempStore, type TempStore } from './handlers-support.js';

const KNOWLEDGE = 'thoth.investigator.knowledge';
const key = { packageName: 'requests', packageVersion: '2.25.1', indexUrl: INDEX };
const source = { topic: 'thoth.investigator.unresolved-package', partition: 0, offset: 7 };
const solverEffect = schedule(solverRequest(key, 'solver-rhel-8-py38', null), 'no result', 'unresolved-package');
const planSi = (): Effect[] => [
  schedule(securityIndicatorsRequest(key, null), 'no SI', 'decision'),
  record({ what: 'security-indicators', key, state: 'scheduled' }),
];
const reRun: Effect = {
  type: 'publish',
  messageType: 'adviser-re-run',
  message: { re_run_adviser_id: 'adviser-abc', recommendation_type: 'latest' },
  key: 'adviser-abc',
  headers: {},
};

let temp: TempStore;
let store: Store;
let written: OutgoingRecord[];
let counted: Array<{ name: string; labels: Record<string, string>; value: number }>;
beforeEach(() => {
  temp = tempStore();
  store = temp.store;
  written = [];
  counted = [];
});
afterEach(() => temp.dispose());

/** The record's commit as a transport makes it: the records written, then the cache's part; `refuse` fails the transaction. */
const commit =
  (refuse?: Error): CommitPort =>
  async (records, apply) => {
    if (refuse) throw refuse;
    written.push(...records);
    apply();
  };

function executor(overrides: Partial<ExecutorContext> = {}) {
  return createExecutor({
    store,
    kube: null,
    namespaceFor: () => 'thoth',
    knowledgeTopic: KNOWLEDGE,
    now: () => Date.parse('2026-11-27T12:00:00Z'),
    metrics: { count: (name, labels, value) => void counted.push({ name, labels, value }) },
    origin: { componentName: 'thoth-investigator', serviceVersion: '1.2.3' },
    ...overrides,
  });
}

const kinds = (records: OutgoingRecord[]) => records.filter((r) => r.topic === KNOWLEDGE).map((r) => (JSON.parse(r.key!) as string[])[0]);

/** A cluster where every workflow asked for exists already, in this phase. */
const finishedCluster = (phase: string): KubeClient => ({
  description: 'test@done',
  createWorkflow: async (workflow) => ({ outcome: 'exists', workflow: { ...workflow, status: { phase } } }),
  getWorkflow: async () => undefined,
  listWorkflows: async () => [],
  watchWorkflow: async () => {
    throw new Error('not used');
  },
  countPending: async () => 0,
});

describe('effect executor', () => {
  it('a security-indicators workflow found failed on the cluster (an earlier attempt) marks its version failed, not in flight', async () => {
    const { events } = await executor({ kube: finishedCluster('Failed') }).execute(planSi(), source, commit());
    expect(events.map((e) => e.kind)).toContain('exists');
    expect(store.securityIndicatorState(key)).toBe('failed');
    // A solver workflow found finished changes no version state.
    await executor({ kube: finishedCluster('Failed') }).execute([solverEffect], source, commit());
    expect(store.securityIndicatorState(key)).toBe('failed');
  });

  it('writes facts with the commit, records the workflow in the ledger with its source, and counts it', async () => {
    const { events } = await executor().execute(
      [record({ what: 'version', key }), record({ what: 'solved', key, solver: 'solver-fedora-34-py39' }), solverEffect],
      source,
      commit(),
    );
    expect(events.map((e) => e.kind)).toEqual(['recorded-workflow', 'recorded', 'recorded']);
    expect(kinds(written)).toEqual(['version', 'solved', 'workflow']);
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
    await executor().execute([solverEffect], source, commit());
    const again = await executor().execute([solverEffect], { ...source, offset: 8 }, commit());
    expect(again.events.map((e) => e.kind)).toEqual(['known']);
    expect(store.workflowsInFlight('solver', key)).toHaveLength(1);
    expect(counted).toHaveLength(1);
  });

  it('keys a request by its message: the same message twice is one request, two messages are two', async () => {
    const asked = record({ what: 'unresolved', key, solver: null });
    await executor().execute([asked], source, commit());
    await executor().execute([asked], source, commit());
    expect(store.packageReport('requests', '2.25.1', []).versions[0].requests).toMatchObject([{ count: 1 }]);
    await executor().execute([asked], { ...source, offset: 8 }, commit());
    expect(store.packageReport('requests', '2.25.1', []).versions[0].requests).toMatchObject([{ count: 2 }]);
  });

  it('writes a complete follow-up body in the same commit as the facts, never on its own', async () => {
    await executor().execute(
      [reRun, record({ what: 'advice-re-run', adviserId: 'adviser-abc', recommendationType: 'latest' })],
      null,
      commit(),
    );
    const followUp = written.find((r) => r.topic === 'thoth.investigator.adviser-re-run')!;
    expect(followUp.key).toBe('adviser-abc');
    expect(JSON.parse(followUp.value!)).toMatchObject({
      component_name: 'thoth-investigator',
      service_version: '1.2.3',
      version: 'v2',
      re_run_adviser_id: 'adviser-abc',
      recommendation_type: 'latest',
      origin: null,
    });
    expect(kinds(written)).toEqual(['advice-re-run']);
  });

  it('applies nothing to the cache when the commit fails, so that a retry writes it all again', async () => {
    const effects = [record({ what: 'version', key }), record({ what: 'solved', key, solver: 'solver-rhel-8-py38' }), solverEffect];
    await expect(executor().execute(effects, source, commit(new TransientError('broker down')))).rejects.toThrow('broker down');
    expect(store.knownVersions('requests')).toEqual([]);
    expect(store.workflowsInFlight('solver', key)).toEqual([]);
    const retried = await executor().execute(effects, source, commit());
    expect(retried.facts.map((f) => f.kind)).toEqual(['version', 'solved', 'workflow']);
    expect(store.isSolved(key, 'solver-rhel-8-py38')).toBe(true);
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
    await expect(executor({ kube: flaky }).execute(effects, source, commit())).rejects.toBeInstanceOf(TransientError);
    expect(store.securityIndicatorState(key)).toBe('none');
    expect(written).toEqual([]);
    const retried = await executor({ kube: flaky }).execute(effects, source, commit());
    expect(retried.events.map((e) => e.kind)).toEqual(['scheduled', 'recorded', 'recorded']);
    expect(store.securityIndicatorState(key)).toBe('scheduled');
  });

  describe('--max-in-flight', () => {
    const solvers = ['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310', 'solver-ubi-9-py311', 'solver-rhel-9-py39'];
    const manySolvers = solvers.map((solver) => schedule(solverRequest(key, solver, null), 'no result', 'unresolved-package'));
    /** A cluster whose creates answer only when the test releases them; it tells how many were open at once. */
    function heldCluster(fail?: (name: string) => Error | undefined) {
      const open: Array<{ name: string; release: () => void }> = [];
      let most = 0;
      const created: string[] = [];
      const kube: KubeClient = {
        description: 'test@held',
        createWorkflow: (workflow) =>
          new Promise((resolve, reject) => {
            const name = workflow.metadata.name;
            open.push({
              name,
              release: () => {
                const error = fail?.(name);
                if (error) return reject(error);
                created.push(name);
                resolve({ outcome: 'created', workflow });
              },
            });
            most = Math.max(most, open.length);
          }),
        getWorkflow: async () => undefined,
        listWorkflows: async () => [],
        watchWorkflow: async () => {
          throw new Error('not used');
        },
        countPending: async () => 0,
      };
      /** Releases the open creates, last asked first, until none is left. */
      const drain = async (done: Promise<unknown>) => {
        let finished = false;
        void done.then(
          () => (finished = true),
          () => (finished = true),
        );
        while (!finished) {
          await new Promise((r) => setImmediate(r));
          open.pop()?.release();
        }
      };
      return { kube, drain, most: () => most, created };
    }

    it('sends at most N creates of one message at once, and reports them in the order they were asked for', async () => {
      const cluster = heldCluster();
      const run = executor({ kube: cluster.kube, maxInFlight: 2 }).execute(manySolvers, source, commit());
      await cluster.drain(run);
      const { events } = await run;
      expect(cluster.most()).toBe(2);
      expect(cluster.created).toHaveLength(5);
      expect(
        events.filter((e) => e.kind === 'scheduled').map((e) => (e.detail.parameters as Record<string, string>).THOTH_SOLVER_NAME),
      ).toEqual(solvers);
      expect(store.workflowsInFlight('solver', key)).toHaveLength(5);
      expect(kinds(written)).toEqual(['workflow', 'workflow', 'workflow', 'workflow', 'workflow']);
    });

    it('sends one at a time with 1', async () => {
      const cluster = heldCluster();
      const run = executor({ kube: cluster.kube, maxInFlight: 1 }).execute(manySolvers, source, commit());
      await cluster.drain(run);
      await run;
      expect(cluster.most()).toBe(1);
      expect(cluster.created).toHaveLength(5);
    });

    it('creates one workflow for one request asked twice in a message: the second is known', async () => {
      const cluster = heldCluster();
      const run = executor({ kube: cluster.kube, maxInFlight: 4 }).execute([solverEffect, solverEffect], source, commit());
      await cluster.drain(run);
      const { events } = await run;
      expect(cluster.created).toHaveLength(1);
      expect(events.map((e) => e.kind)).toEqual(['scheduled', 'known']);
    });

    describe('deferring (a batch that lets a record leave its creates running)', () => {
      it('returns once the creates are sent, the facts saying Pending; the events come with the answers', async () => {
        const cluster = heldCluster();
        const { events, confirmed } = await executor({ kube: cluster.kube, maxInFlight: 8 }).execute(manySolvers, source, commit(), {
          deferring: true,
        });
        expect(events).toEqual([]);
        expect(cluster.created).toEqual([]);
        expect(store.workflowsInFlight('solver', key).map((w) => w.status)).toEqual([
          'Pending',
          'Pending',
          'Pending',
          'Pending',
          'Pending',
        ]);
        await cluster.drain(confirmed!);
        const late = await (await confirmed!)();
        expect(cluster.created).toHaveLength(5);
        expect(late.map((e) => (e.detail.parameters as Record<string, string>).THOTH_SOLVER_NAME)).toEqual(solvers);
        expect(late.map((e) => e.kind)).toEqual(['scheduled', 'scheduled', 'scheduled', 'scheduled', 'scheduled']);
      });

      it('holds at most --max-in-flight creates open across messages: the next message waits for a free one', async () => {
        const cluster = heldCluster();
        const run = executor({ kube: cluster.kube, maxInFlight: 2 });
        const first = await run.execute([manySolvers[0], manySolvers[1]], source, commit(), { deferring: true });
        const second = run.execute([manySolvers[2]], { ...source, offset: 8 }, commit(), { deferring: true });
        await new Promise((r) => setImmediate(r));
        expect(cluster.most()).toBe(2);
        await cluster.drain(Promise.all([first.confirmed!, second.then((s) => s.confirmed!)]));
        expect(cluster.most()).toBe(2);
        expect(cluster.created).toHaveLength(3);
      });

      it('a workflow that existed in another phase: its phase is written when the message is finished', async () => {
        const kube: KubeClient = {
          description: 'test@done',
          createWorkflow: async (workflow) => ({ outcome: 'exists', workflow: { ...workflow, status: { phase: 'Succeeded' } } }),
          getWorkflow: async () => undefined,
          listWorkflows: async () => [],
          watchWorkflow: async () => {
            throw new Error('not used');
          },
          countPending: async () => 0,
        };
        const { confirmed } = await executor({ kube }).execute([solverEffect], source, commit(), { deferring: true });
        expect(store.workflowsInFlight('solver', key).map((w) => w.status)).toEqual(['Pending']);
        const late = await (await confirmed!)();
        expect(late.map((e) => e.kind)).toEqual(['exists']);
        expect(store.workflowsInFlight('solver', key)).toEqual([]);
        expect(kinds(written)).toEqual(['workflow', 'workflow']);
        expect((JSON.parse(written[1].value!) as { status: string }).status).toBe('Succeeded');
      });

      it('a security-indicators workflow found finished marks its version analysed when the message is finished', async () => {
        const { confirmed } = await executor({ kube: finishedCluster('Succeeded') }).execute(planSi(), source, commit(), {
          deferring: true,
        });
        expect(store.securityIndicatorState(key)).toBe('scheduled');
        await (
          await confirmed!
        )();
        expect(store.securityIndicatorState(key)).toBe('done');
        expect(kinds(written)).toEqual(['security-indicators', 'workflow', 'workflow', 'security-indicators']);
      });

      it('a create that fails rejects what finishes the message', async () => {
        const cluster = heldCluster((name) => (name.includes('fedora-35') ? new TransientError('API server answered 503') : undefined));
        const { confirmed } = await executor({ kube: cluster.kube }).execute(manySolvers, source, commit(), { deferring: true });
        await cluster.drain(confirmed!);
        await expect(confirmed!).rejects.toThrow('API server answered 503');
      });
    });

    it('commits nothing when one create fails, after the others have answered, and throws its error', async () => {
      const cluster = heldCluster((name) => (name.includes('fedora-35') ? new TransientError('API server answered 503') : undefined));
      const run = executor({ kube: cluster.kube, maxInFlight: 3 }).execute(manySolvers, source, commit());
      await cluster.drain(run);
      await expect(run).rejects.toThrow('API server answered 503');
      expect(written).toEqual([]);
      expect(store.workflowsInFlight('solver', key)).toEqual([]);
    });
  });

  it('applies nothing when one effect is invalid', async () => {
    const bad = schedule(
      { kind: 'revsolver', parameters: { THOTH_REVSOLVER_PACKAGE_NAME: 'x;rm -rf', THOTH_REVSOLVER_PACKAGE_VERSION: '1.0' } },
      'test',
    );
    await expect(executor().execute([record({ what: 'cve', key }), solverEffect, bad], source, commit())).rejects.toBeInstanceOf(
      PermanentError,
    );
    expect(store.knownVersions('requests')).toEqual([]);
    expect(store.workflowsInFlight('solver', key)).toEqual([]);
    expect(written).toEqual([]);
  });

  it('refuses an invalid follow-up message before applying anything', async () => {
    const invalid: Effect = { type: 'publish', messageType: 'adviser-re-run', message: { re_run_adviser_id: 5 }, key: null, headers: {} };
    await expect(executor().execute([record({ what: 'version', key }), invalid], null, commit())).rejects.toThrow(
      /adviser-re-run follow-up message is invalid/,
    );
    expect(store.knownVersions('requests')).toEqual([]);
    expect(written).toEqual([]);
  });

  it('writes a follow-up with its password but reports it masked', async () => {
    const effect: Effect = {
      type: 'publish',
      messageType: 'package-extract-trigger',
      message: { image: 'registry.example/app:1', environment_type: 'runtime', registry_user: 'bot', registry_password: 'hunter2' },
      key: null,
      headers: {},
    };
    const { events } = await executor().execute([effect], null, commit());
    expect(JSON.parse(written[0].value!).registry_password).toBe('hunter2');
    expect(JSON.stringify(events)).not.toContain('hunter2');
  });

  it('passes metrics through', async () => {
    const { events } = await executor().execute(
      [{ type: 'metric', name: 'm', labels: { a: 'b' }, value: 4, kind: 'gauge' }],
      null,
      commit(),
    );
    expect(events).toEqual([{ kind: 'metric', detail: { name: 'm', labels: { a: 'b' }, value: 4, metric: 'gauge' } }]);
    expect(counted).toEqual([{ name: 'm', labels: { a: 'b' }, value: 4 }]);
  });
});

// Against a real API server (a second cache meets 409 and counts the workflow as done, nothing created twice):
// test/cluster/investigate-streams.test.ts (a fresh cache replays every stream) and test/cluster/schedule.test.ts.
