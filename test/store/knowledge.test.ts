import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import type { LedgerEntry } from '../../src/store/types.js';
import { INDEX, key, tempDbPath } from './temp.js';

const SOLVERS = ['solver-rhel-8-py38', 'solver-fedora-35-py310'];

function freshStore(): Store {
  const store = openStore(tempDbPath(), { create: true, indexUrls: '' });
  return store;
}

function entry(over: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    name: 'solver-requests-2-25-1-abc123',
    kind: 'solver',
    namespace: 'thoth',
    parameters: { THOTH_SOLVER_NAME: 'solver-rhel-8-py38', THOTH_SOLVER_PACKAGES: 'requests===2.25.1' },
    idempotencyKey: 'k1',
    status: 'recorded',
    source: { topic: 'thoth.investigator.unresolved-package', partition: 0, offset: 7 },
    createdAt: '2024-05-01T12:00:00.000Z',
    updatedAt: '2024-05-01T12:00:00.000Z',
    packageName: 'requests',
    packageVersion: '2.25.1',
    indexUrl: INDEX,
    ...over,
  };
}

describe('knowledge store', () => {
  it('seeds registered indexes from a comma list, without trailing slashes or duplicates', () => {
    const store = openStore(tempDbPath(), { create: true, indexUrls: `${INDEX}/, https://other.example/simple` });
    expect(store.registeredIndexes()).toEqual(['https://index.example/simple', 'https://other.example/simple']);
    expect(store.seedIndexes(`${INDEX},https://third.example/simple/`)).toEqual(['https://third.example/simple']);
    expect(store.isIndexRegistered(`${INDEX}/`)).toBe(true);
    expect(store.isIndexRegistered('https://unknown.example/simple')).toBe(false);
    store.close();
  });

  it('keys packages by their PEP 503 name', () => {
    const store = freshStore();
    store.recordVersion(key('Django_Rest.Framework', '3.14.0'));
    store.recordVersion(key('django-rest-framework', '3.14.0'));
    expect(store.knownVersions('DJANGO-REST-FRAMEWORK')).toEqual([key('django-rest-framework', '3.14.0')]);
    expect(store.knownVersions('django-rest-framework', 'https://other.example/simple')).toEqual([]);
    store.close();
  });

  it('tells which solvers lack a version; an error result counts as a result', () => {
    const store = freshStore();
    const k = key('requests', '2.25.1');
    expect(store.solversLacking(k, SOLVERS)).toEqual(SOLVERS);
    store.recordSolved(k, 'solver-rhel-8-py38');
    store.recordSolved(k, 'solver-fedora-35-py310', { error: true });
    expect(store.isSolved(k, 'solver-rhel-8-py38')).toBe(true);
    expect(store.isSolved(k, 'solver-fedora-35-py310')).toBe(true);
    expect(store.isSolved(k, 'solver-fedora-34-py39')).toBe(false);
    expect(store.solversLacking(k, [...SOLVERS, 'solver-fedora-34-py39'])).toEqual(['solver-fedora-34-py39']);
    expect(store.packageReport('requests', '2.25.1', SOLVERS).versions[0].solvers.map((s) => s.status)).toEqual(['error', 'solved']);
    store.close();
  });

  it('keeps flags, SI state and hashes per version', () => {
    const store = freshStore();
    const k = key('numpy', '1.26.0');
    expect(store.isMissing(k)).toBe(false);
    expect(store.providesSourceDistro(k)).toBeNull();
    expect(store.securityIndicatorState(k)).toBe('none');
    store.setProvidesSourceDistro(k, false);
    store.setSecurityIndicatorState(k, 'scheduled');
    store.setMissing(k, true);
    store.setHashPresent(k, ['sha256:aa', 'sha256:bb'], true);
    store.setHashPresent(k, ['sha256:bb'], false);
    expect(store.providesSourceDistro(k)).toBe(false);
    expect(store.securityIndicatorState(k)).toBe('scheduled');
    expect(store.isMissing(k)).toBe(true);
    expect(store.packageReport('numpy', undefined, []).versions[0].hashes).toEqual([
      { hash: 'sha256:aa', present: true },
      { hash: 'sha256:bb', present: false },
    ]);
    store.recordVersion(key('numpy', '1.25.0'));
    store.recordVersion(key('numpy', '1.25.0', 'https://other.example/simple'));
    expect(store.setPackageMissing('NumPy', INDEX)).toBe(2);
    expect(store.isMissing(key('numpy', '1.25.0'))).toBe(true);
    expect(store.isMissing(key('numpy', '1.25.0', 'https://other.example/simple'))).toBe(false);
    store.close();
  });

  it('counts unresolved requests and re-runs each waiting advice run once', () => {
    const store = freshStore();
    const a = key('requests', '2.25.1');
    const b = key('urllib3', '1.26.5');
    store.recordUnresolved(a, '2024-05-01T12:00:00Z');
    store.recordUnresolved(a, '2024-05-01T13:00:00Z');
    store.addAdviceWait('adviser-1', 'latest', a);
    store.addAdviceWait('adviser-1', 'latest', b);
    store.recordSolved(a, SOLVERS[0]);
    store.recordSolved(a, SOLVERS[1]);
    const [run] = store.adviceRunIdsWaitingOn(a).map((id) => store.adviceRun(id, SOLVERS));
    expect(run).toEqual({
      adviserId: 'adviser-1',
      recommendationType: 'latest',
      reRunPublishedAt: null,
      waitingOn: [
        { ...a, solved: true },
        { ...b, solved: false },
      ],
    });
    expect(store.packageReport('requests', '2.25.1', SOLVERS).versions[0].requests).toEqual([
      { solver: null, first_seen: '2024-05-01T12:00:00.000Z', last_seen: '2024-05-01T13:00:00.000Z', count: 2 },
    ]);
    expect(store.markReRunPublished('adviser-1', '2024-05-01T14:00:00Z')).toBe(true);
    expect(store.markReRunPublished('adviser-1', '2024-05-01T15:00:00Z')).toBe(false);
    expect(store.adviceRunIdsWaitingOn(a)).toEqual([]);
    store.close();
  });

  it("lists a namespace's unfinished workflows (what the phase watcher reads), oldest first, as phases change", () => {
    const store = freshStore();
    const at = (minute: number) => `2024-05-01T12:${String(minute).padStart(2, '0')}:00.000Z`;
    const add = (name: string, status: LedgerEntry['status'], minute: number, namespace = 'thoth') =>
      store.recordWorkflow(entry({ name, idempotencyKey: name, status, namespace, createdAt: at(minute), updatedAt: at(minute) }));
    add('running-late', 'Running', 9);
    add('pending-early', 'Pending', 1);
    add('recorded-only', 'recorded', 2);
    add('done', 'Succeeded', 3);
    add('elsewhere', 'Pending', 4, 'thoth-other');
    expect(store.workflowsUnfinished('thoth').map((w) => w.name)).toEqual(['pending-early', 'running-late']);
    store.setWorkflowStatus('pending-early', 'Failed', at(10));
    store.setWorkflowStatus('done', 'Running', at(11));
    expect(store.workflowsUnfinished('thoth').map((w) => w.name)).toEqual(['done', 'running-late']);
    expect(store.workflowsUnfinished('thoth-other').map((w) => w.name)).toEqual(['elsewhere']);
    store.close();
  });

  it('keeps the workflow ledger: lookup by name and key, status, in-flight per version', () => {
    const store = freshStore();
    store.recordWorkflow(entry());
    store.recordWorkflow(entry({ name: 'revsolver-requests-x', kind: 'revsolver', idempotencyKey: 'k2', indexUrl: null, source: null }));
    expect(store.findWorkflow('solver-requests-2-25-1-abc123')).toEqual(entry());
    expect(store.findWorkflowByKey('k1')?.name).toBe('solver-requests-2-25-1-abc123');
    expect(store.workflowsInFlight('solver', key('Requests', '2.25.1')).map((w) => w.name)).toEqual(['solver-requests-2-25-1-abc123']);
    expect(store.workflowsInFlight('revsolver', key('requests', '2.25.1', 'https://other.example/simple')).map((w) => w.name)).toEqual([
      'revsolver-requests-x',
    ]);
    store.setWorkflowStatus('solver-requests-2-25-1-abc123', 'Succeeded', '2024-05-01T12:05:00Z');
    expect(store.workflowsInFlight('solver', key('requests', '2.25.1'))).toEqual([]);
    expect(store.findWorkflow('solver-requests-2-25-1-abc123')).toMatchObject({
      status: 'Succeeded',
      updatedAt: '2024-05-01T12:05:00.000Z',
      createdAt: '2024-05-01T12:00:00.000Z',
    });
    store.close();
  });

  it("lets a version's security-indicator state follow its SI workflow to the end", () => {
    const store = freshStore();
    const si = (name: string, version: string) =>
      entry({
        name,
        kind: 'security-indicators',
        idempotencyKey: name,
        packageVersion: version,
        parameters: { THOTH_SECURITY_INDICATORS_PACKAGE_NAME: 'requests' },
      });
    for (const version of ['1.0.0', '2.0.0', '3.0.0']) {
      store.recordVersion(key('requests', version));
      store.setSecurityIndicatorState(key('requests', version), 'scheduled');
      store.recordWorkflow(si(`si-${version}`, version));
    }
    store.setWorkflowStatus('si-1.0.0', 'Running', '2024-05-01T12:01:00Z');
    store.setWorkflowStatus('si-2.0.0', 'Succeeded', '2024-05-01T12:02:00Z');
    store.setWorkflowStatus('si-3.0.0', 'Error', '2024-05-01T12:03:00Z');
    expect(['1.0.0', '2.0.0', '3.0.0'].map((v) => store.securityIndicatorState(key('requests', v)))).toEqual([
      'scheduled',
      'done',
      'failed',
    ]);
    // Other kinds leave it alone.
    store.recordWorkflow(entry({ packageVersion: '1.0.0' }));
    store.setWorkflowStatus('solver-requests-2-25-1-abc123', 'Succeeded', '2024-05-01T12:04:00Z');
    expect(store.securityIndicatorState(key('requests', '1.0.0'))).toBe('scheduled');
    store.close();
  });

  it('remembers processed offsets and dead letters', () => {
    const store = freshStore();
    const source = { topic: 'thoth.solver.solved-package', partition: 0, offset: 3 };
    expect(store.inboxOutcome(source)).toBeUndefined();
    store.recordInbox(source, 'done', '2024-05-01T12:00:00Z');
    expect(store.inboxOutcome(source)).toBe('done');
    expect(store.inboxOutcome({ ...source, offset: 4 })).toBeUndefined();
    store.recordDeadLetter({
      ...source,
      errorClass: 'not-json',
      reason: 'Unexpected token',
      value: '{oops',
      headers: {},
      createdAt: '2024-05-01T12:00:00Z',
    });
    store.recordDeadLetter({
      ...source,
      offset: 9,
      errorClass: 'schema',
      reason: 'solver: required',
      value: { package_name: 'x' },
      headers: { a: 'b' },
      createdAt: '2024-05-01T12:01:00Z',
    });
    expect(store.deadLettersReport()).toEqual([
      { topic: source.topic, partition: 0, offset: 3, error_class: 'not-json', reason: 'Unexpected token', value: '{oops' },
      { topic: source.topic, partition: 0, offset: 9, error_class: 'schema', reason: 'solver: required', value: { package_name: 'x' } },
    ]);
    store.close();
  });

  it('rolls a transaction back as a whole when it throws', () => {
    const store = freshStore();
    expect(() =>
      store.transaction(() => {
        store.recordVersion(key('requests', '2.25.1'));
        throw new Error('effect failed');
      }),
    ).toThrow('effect failed');
    expect(store.knownVersions('requests')).toEqual([]);
    store.close();
  });
});
