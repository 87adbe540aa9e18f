/**
 * Decisions that need several facts (src/investigate/decisions.ts, decide.ts):
 * when an advice run's re-run and a version's security indicators are due,
 * whatever the order the facts arrive in, and how the owner of a decision
 * takes it once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import type { Fact, WorkflowStatus } from '../../src/facts/facts.js';
import { createDecider } from '../../src/investigate/decide.js';
import {
  decisionKey,
  decisionsTouched,
  decodeTrigger,
  evaluate,
  parseDecisionKey,
  pendingDecisions,
  triggerValue,
} from '../../src/investigate/decisions.js';
import { schedule } from '../../src/investigate/effects.js';
import { createExecutor } from '../../src/investigate/executor.js';
import { solverRequest } from '../../src/investigate/handlers/requests.js';
import type { Store } from '../../src/store/index.js';
import type { ConsumedRecord, ExactlyOnce, OutgoingRecord } from '../../src/transport/port.js';
import { INDEX, SOLVERS, tempStore, testConfig, type TempStore } from './handlers-support.js';

const KNOWLEDGE = 'thoth.investigator.knowledge';
const DECISIONS = 'thoth.investigator.decisions';
const AT = '2026-11-27T12:00:00.000Z';
const key = { packageName: 'requests', packageVersion: '2.25.1', indexUrl: INDEX };
const other = { packageName: 'urllib3', packageVersion: '1.26.0', indexUrl: INDEX };
const advice = decisionKey({ kind: 'advice', adviserId: 'adviser-abc' });
const si = decisionKey({ kind: 'security-indicators', version: key });

let temp: TempStore;
let store: Store;
beforeEach(() => {
  temp = tempStore();
  store = temp.store;
});
afterEach(() => temp.dispose());

const config = testConfig();
const apply = (...facts: Fact[]) => store.applyFacts(facts).touched;
const waits = (k: typeof key, adviserId = 'adviser-abc'): Fact[] => [
  { kind: 'advice', adviserId, recommendationType: 'stable', at: AT },
  { kind: 'advice-wait', adviserId, recommendationType: 'stable', version: k, at: AT },
];
const solved = (k: typeof key, solver: string): Fact => ({ kind: 'solved', version: k, solver, error: false, at: AT });
const due = (decision: string) => evaluate(store, config, decision, null).due;

/** The solver workflows an unresolved-package leaves in flight (record mode). */
async function inFlight(k: typeof key, solvers = SOLVERS) {
  const executor = createExecutor({ store, kube: null, namespaceFor: () => 'thoth', knowledgeTopic: KNOWLEDGE, now: Date.now });
  await executor.execute(
    solvers.map((s) => schedule(solverRequest(k, s, null), 'test', 'unresolved-package')),
    null,
    async (_records, done) => done(),
  );
}

describe('decision keys and triggers', () => {
  it('name the decision and read back, index URLs with slashes included', () => {
    expect(si).toBe('si:https://index.example/simple/requests/2.25.1');
    expect(parseDecisionKey(si)).toEqual({ kind: 'security-indicators', version: key });
    expect(parseDecisionKey(advice)).toEqual({ kind: 'advice', adviserId: 'adviser-abc' });
    expect(parseDecisionKey('si:nonsense')).toBeUndefined();
    expect(parseDecisionKey('other')).toBeUndefined();
  });

  it('carry the knowledge offsets their producer had read, and refuse what this thoth cannot read', () => {
    const value = triggerValue(
      advice,
      new Map([
        [0, 12],
        [3, 4],
      ]),
    );
    expect(decodeTrigger(value)).toEqual({
      decision: advice,
      knowledge: new Map([
        [0, 12],
        [3, 4],
      ]),
    });
    for (const bad of ['{oops', JSON.stringify({ v: 2, decision: advice }), JSON.stringify({ v: 1, decision: 'x' }), null])
      expect(() => decodeTrigger(bad)).toThrow(PermanentError);
  });
});

describe('the advice re-run decision', () => {
  it('is due once every solver in flight for what it waits on has reported, whatever the order of the facts', async () => {
    await inFlight(key);
    apply(...waits(key), solved(key, SOLVERS[0]), solved(key, SOLVERS[1]));
    expect(evaluate(store, config, advice, null)).toMatchObject({ due: false, reason: 'it waits on requests==2.25.1' });
    apply(solved(key, SOLVERS[2]));
    expect(evaluate(store, config, advice, null)).toMatchObject({
      due: true,
      effects: [
        {
          type: 'publish',
          messageType: 'adviser-re-run',
          key: 'adviser-abc',
          message: { re_run_adviser_id: 'adviser-abc', recommendation_type: 'stable' },
        },
        { type: 'record', change: { what: 'advice-re-run', adviserId: 'adviser-abc' } },
      ],
    });
    // The facts in the other order: the results first, the wait last (another replica wrote it).
    const later = tempStore();
    try {
      later.store.applyFacts([solved(key, SOLVERS[0]), ...waits(key)]);
      expect(evaluate(later.store, config, advice, null).due).toBe(true);
    } finally {
      later.dispose();
    }
  });

  it('waits only for the solver the request named (the adviser asks for its own environment)', async () => {
    await inFlight(key, [SOLVERS[1]]);
    apply(...waits(key), solved(key, SOLVERS[0]));
    expect(due(advice)).toBe(false);
    apply(solved(key, SOLVERS[1]));
    expect(due(advice)).toBe(true);
  });

  it('keeps waiting while another version it waits on is unsolved, and is never due again once taken', () => {
    apply(...waits(key), ...waits(other), solved(key, SOLVERS[0]));
    expect(due(advice)).toBe(false);
    apply(solved(other, SOLVERS[0]));
    expect(due(advice)).toBe(true);
    apply({ kind: 'advice-re-run', adviserId: 'adviser-abc', recommendationType: 'stable', at: AT });
    expect(evaluate(store, config, advice, null)).toEqual({ due: false, reason: 'its re-run was published' });
  });

  for (const order of ['forward', 'backward', 'shuffled'] as const)
    it(`waiting on many versions, is due exactly when the last is solved, whatever order they are solved in (${order})`, () => {
      const many = Array.from({ length: 40 }, (_, i) => ({ packageName: 'pkg', packageVersion: `1.${i}.0`, indexUrl: INDEX }));
      apply(...many.flatMap((k) => waits(k)));
      const solving =
        order === 'forward' ? many : order === 'backward' ? [...many].reverse() : many.map((k, i) => many[(i * 17) % many.length]);
      solving.forEach((k, i) => {
        apply(solved(k, SOLVERS[0]));
        const verdict = evaluate(store, config, advice, null);
        if (i < solving.length - 1) {
          expect(verdict.due).toBe(false);
          // It names a version still unsolved.
          const named = (verdict as { reason: string }).reason.replace('it waits on pkg==', '');
          expect(solving.slice(i + 1).map((k) => k.packageVersion)).toContain(named);
        } else expect(verdict.due).toBe(true);
      });
    });

  it('is named by the facts that may complete it', () => {
    const touched = apply(...waits(key), solved(other, SOLVERS[0]));
    expect(decisionsTouched(store, touched).sort()).toEqual(
      [advice, si, decisionKey({ kind: 'security-indicators', version: other })].sort(),
    );
  });

  it('is not named by facts that can only keep it waiting, and is again by a workflow that leaves flight', () => {
    apply(...waits(key));
    const workflow = (status: WorkflowStatus): Fact => ({
      kind: 'workflow',
      workflow: {
        name: 'solver-requests-2-25-1',
        kind: 'solver',
        namespace: 'thoth',
        parameters: { THOTH_SOLVER_NAME: SOLVERS[0] },
        idempotencyKey: 'k',
        status,
        source: null,
        createdAt: AT,
        updatedAt: AT,
        ...key,
      },
    });
    const waiting = apply(
      { kind: 'version', version: key, at: AT },
      { kind: 'request', version: key, solver: SOLVERS[0], request: 'u[0]@1', at: AT },
      { kind: 'hash', version: key, hash: 'sha256:aa', present: true, at: AT },
      { kind: 'cve', version: key, notice: 'c[0]@0', at: AT },
      { kind: 'security-indicators', version: key, state: 'scheduled', at: AT },
      workflow('Running'),
    );
    expect(decisionsTouched(store, waiting)).toEqual([]);
    // The solver that ran reports: the advice run waiting on the version may be due now.
    expect(decisionsTouched(store, apply(workflow('Succeeded'))).sort()).toEqual([advice, si].sort());
    expect(decisionsTouched(store, apply(solved(key, SOLVERS[0]))).sort()).toEqual([advice, si].sort());
  });
});

describe('the security indicators decision', () => {
  it('is due for a solved version, or one si-unanalyzed-package asked for', () => {
    apply({ kind: 'version', version: key, at: AT });
    expect(evaluate(store, config, si, null)).toMatchObject({ due: false, reason: /nothing asks for them/ });
    apply(solved(key, SOLVERS[0]));
    expect(evaluate(store, config, si, null)).toMatchObject({
      due: true,
      effects: [
        { type: 'schedule', request: { kind: 'security-indicators', parameters: { THOTH_SECURITY_INDICATORS_PACKAGE_VERSION: '2.25.1' } } },
        { type: 'record', change: { what: 'security-indicators', key, state: 'scheduled' } },
      ],
    });
    const asked = decisionKey({ kind: 'security-indicators', version: other });
    apply({ kind: 'security-indicators-requested', version: other, at: AT });
    expect(due(asked)).toBe(true);
  });

  it.each([
    ['in flight', { kind: 'security-indicators', version: key, state: 'scheduled', at: AT }],
    ['done', { kind: 'security-indicators', version: key, state: 'done', at: AT }],
    ['failed before', { kind: 'security-indicators', version: key, state: 'failed', at: AT }],
    ['flagged missing', { kind: 'missing', version: key, missing: true, at: AT }],
    ['without a source distribution', { kind: 'provides-source-distro', version: key, value: false, at: AT }],
  ] as Array<[string, Fact]>)('is not due for a version %s (SI fails only once)', (_why, fact) => {
    apply(solved(key, SOLVERS[0]), fact);
    expect(due(si)).toBe(false);
    expect(pendingDecisions(store)).not.toContain(si);
  });

  it('honours THOTH_INVESTIGATOR_SCHEDULE_SECURITY=0', () => {
    apply(solved(key, SOLVERS[0]));
    expect(evaluate(store, testConfig({ THOTH_INVESTIGATOR_SCHEDULE_SECURITY: 'false' }), si, null).due).toBe(false);
  });

  it('is among the pending decisions a new owner scans for', () => {
    apply(solved(key, SOLVERS[0]), ...waits(other));
    expect(pendingDecisions(store).sort()).toEqual([advice, si].sort());
  });
});

describe('the decider', () => {
  let triggers: OutgoingRecord[];
  let written: OutgoingRecord[];
  let committed: number;
  let catchUps: number;
  let owned: number[];
  let warnings: string[];

  beforeEach(() => {
    warnings = [];
    triggers = [];
    written = [];
    committed = -1;
    catchUps = 0;
    owned = [0];
  });

  function decider(
    options: { background?: boolean; send?: (records: OutgoingRecord[]) => Promise<void>; catchUp?: () => Promise<void> } = {},
  ) {
    const d = createDecider({
      background: options.background,
      store,
      config,
      sync: {
        catchUp: async () => {
          catchUps++;
          await options.catchUp?.();
        },
        reach: async () => undefined,
        positions: () => new Map([[0, 3]]),
      },
      transport: {
        send: options.send ?? (async (records) => void triggers.push(...records)),
        partitionOf: async (_topic, k) => (k.startsWith('si:') ? 1 : 0),
      },
      decisionsTopic: DECISIONS,
      owned: () => owned,
      executor: createExecutor({ store, kube: null, namespaceFor: () => 'thoth', knowledgeTopic: KNOWLEDGE, now: Date.now }),
      note: () => undefined,
      warn: (text) => void warnings.push(text),
      signal: new AbortController().signal,
    });
    d.ready();
    return d;
  }

  const triggerRecord = (decision: string, offset: number, partition = 0): ConsumedRecord => {
    const value = triggerValue(decision, new Map());
    return { topic: DECISIONS, partition, offset, timestamp: 0, key: decision, headers: {}, value, size: value.length };
  };
  const context = (offset: number, session = 1) => {
    const exactlyOnce: ExactlyOnce = {
      begin: async () => ({ session, handled: committed > offset }),
      commit: async (records, done) => {
        written.push(...records);
        committed = offset + 1;
        done?.();
      },
    };
    return { heartbeat: async () => undefined, signal: new AbortController().signal, exactlyOnce };
  };

  it('triggers only the decisions whose partition this replica owns, and each once until handled', async () => {
    const d = decider();
    const touched = apply(...waits(key), solved(key, SOLVERS[0]));
    await d.consider(touched);
    await d.consider(touched);
    // The advice decision goes to partition 0 (owned), security indicators to 1 (not owned).
    expect(triggers.map((t) => t.key)).toEqual([advice]);
    expect(JSON.parse(triggers[0].value!)).toEqual({ v: 1, decision: advice, knowledge: { 0: 3 } });
  });

  it('takes a decision once: the re-run and its "taken" fact with the trigger offset, a second trigger finds it taken', async () => {
    const d = decider();
    apply(...waits(key), solved(key, SOLVERS[0]));
    const first = await d.handle(triggerRecord(advice, 0), context(0));
    expect(first.duplicate).toBe(false);
    expect(written.map((r) => r.topic).sort()).toEqual(['thoth.investigator.adviser-re-run', KNOWLEDGE]);
    expect(committed).toBe(1);
    expect(store.adviceReRunPublished('adviser-abc')).toBe(true);
    await d.handle(triggerRecord(advice, 1), context(1));
    expect(written.filter((r) => r.topic === 'thoth.investigator.adviser-re-run')).toHaveLength(1);
    expect(committed).toBe(2);
    // Read the knowledge topic to its end once per session of the partition, not per trigger.
    expect(catchUps).toBe(1);
    await d.handle(triggerRecord(advice, 2), context(2, 2));
    expect(catchUps).toBe(2);
  });

  it('takes a decision whose taking the broker refused for good no second time: a later trigger for it writes nothing', async () => {
    const d = decider();
    apply(...waits(key), solved(key, SOLVERS[0]));
    const refusing = context(0);
    const refused = new PermanentError('MessageTooLarge', 'sending to thoth.investigator.adviser-re-run: the broker refused it');
    await expect(
      d.handle(triggerRecord(advice, 0), {
        ...refusing,
        exactlyOnce: {
          ...refusing.exactlyOnce,
          commit: async () => {
            throw refused;
          },
        },
      }),
    ).rejects.toBe(refused);
    // A trigger written before the refusal (a batch's commit is refused after its decisions were taken).
    const later = await d.handle(triggerRecord(advice, 1), context(1));
    expect(later).toEqual({ events: [], duplicate: false });
    expect(written).toEqual([]);
    expect(committed).toBe(2);
    expect(store.adviceReRunPublished('adviser-abc')).toBe(false);
  });

  it('skips a trigger an earlier owner committed, writing nothing', async () => {
    const d = decider();
    apply(...waits(key), solved(key, SOLVERS[0]));
    committed = 10;
    expect((await d.handle(triggerRecord(advice, 4), context(4))).duplicate).toBe(true);
    expect(written).toEqual([]);
    expect(store.adviceReRunPublished('adviser-abc')).toBe(false);
  });

  it('scans a gained partition for the decisions pending there', async () => {
    apply(...waits(key), solved(key, SOLVERS[0]));
    owned = [0, 1];
    const d = decider();
    await d.scan([1]);
    expect(triggers.map((t) => t.key)).toEqual([si]);
    expect(catchUps).toBe(1);
  });

  it('after a gain, triggers again what was pending before it, not what the records handled meanwhile produced', async () => {
    owned = [0, 1];
    let caughtUp!: () => void;
    const d = decider({ catchUp: () => new Promise<void>((resolve) => (caughtUp = resolve)) });
    // The scan of the partitions gained at the start reads the knowledge topic first; records are handled meanwhile.
    const scanning = d.scan([0, 1]);
    await d.consider(apply(...waits(key), solved(key, SOLVERS[0])));
    caughtUp();
    await scanning;
    expect(triggers.map((t) => t.key).sort()).toEqual([advice, si].sort());
    // Partition 1 lost and gained again: its trigger may have gone to the other owner.
    const regained = d.scan([1]);
    caughtUp();
    await regained;
    expect(triggers.map((t) => t.key).sort()).toEqual([advice, si, si].sort());
    // The periodic scan triggers again whatever is pending (a trigger written inside a batch rolled back is gone).
    const periodic = d.scan();
    caughtUp();
    await periodic;
    expect(triggers.map((t) => t.key).sort()).toEqual([advice, advice, si, si, si].sort());
  });

  it('writes triggers in the background on a broker: one write at a time, the triggers that came meanwhile in the next', async () => {
    owned = [0, 1];
    const writes: Array<{ keys: string[]; done: () => void; fail: (error: Error) => void }> = [];
    const d = decider({
      background: true,
      send: (records) =>
        new Promise<void>((resolve, reject) => writes.push({ keys: records.map((r) => r.key!), done: resolve, fail: reject })),
    });
    // Neither waits for its trigger's write.
    await d.consider(apply(...waits(key), solved(key, SOLVERS[0])));
    await d.consider(apply(solved(other, SOLVERS[0])));
    expect(writes.map((w) => [...w.keys].sort())).toEqual([[advice, si].sort()]);
    expect(d.busy()).toBe(true);
    const settled = d.settled();
    writes[0].done();
    await new Promise((resolve) => setImmediate(resolve));
    // The next write carries what came while the first was on its way.
    expect(writes.map((w) => w.keys)).toHaveLength(2);
    expect(writes[1].keys).toEqual([decisionKey({ kind: 'security-indicators', version: other })]);
    writes[1].fail(new Error('broker gone'));
    await settled;
    expect(d.busy()).toBe(false);
    expect(warnings).toEqual([expect.stringContaining('could not write decision triggers (broker gone)')]);
    // A trigger whose write failed is produced again; one written is not.
    await d.consider(apply(solved(other, SOLVERS[1]), solved(key, SOLVERS[1])));
    expect(writes[2].keys).toEqual([decisionKey({ kind: 'security-indicators', version: other })]);
  });
});
