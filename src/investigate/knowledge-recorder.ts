/**
 * The recording capability of the effect executor (STYLE 7, 15): knowledge
 * changes, ledger entries and the advice runs they complete, written in ONE
 * transaction of the cache. Every change is an upsert, so applying it twice
 * changes nothing more.
 */
import type { AdviceRun, KnowledgeStore, LedgerEntry, PackageKey } from '../store/types.js';
import type { KnowledgeChange } from './effects.js';

/** Applies one cache change; every branch is an upsert, so applying it twice changes nothing more. */
export function applyChange(store: KnowledgeStore, change: KnowledgeChange, at: string): void {
  switch (change.what) {
    case 'version':
      return store.recordVersion(change.key);
    case 'solved':
      store.recordVersion(change.key);
      return store.recordSolved(change.key, change.solver, change.error ? { error: true } : undefined);
    case 'unresolved':
      return store.recordUnresolved(change.key, at, change.solver);
    case 'advice-wait':
      return store.addAdviceWait(change.adviserId, change.recommendationType, change.key);
    case 'missing':
      return store.setMissing(change.key, change.missing);
    case 'package-missing':
      store.setPackageMissing(change.packageName, change.indexUrl);
      return;
    case 'provides-source-distro':
      return store.setProvidesSourceDistro(change.key, change.value);
    case 'hash-present':
      return store.setHashPresent(change.key, change.hashes, change.present);
    case 'cve':
      return store.recordCve(change.key, at);
    case 'security-indicators':
      return store.setSecurityIndicatorState(change.key, change.state);
  }
}

/**
 * Changes written only once this message's workflows are in the ledger: the SI
 * "scheduled" state (written earlier, a failed create would skip SI for good)
 * and an advice run's wait (written earlier, a solved-package handled at the
 * same moment on another partition could release the run before the solver
 * workflows it must wait for are known to be in flight).
 */
export function isWorkflowBookkeeping(change: KnowledgeChange): boolean {
  return (change.what === 'security-indicators' && change.state === 'scheduled') || change.what === 'advice-wait';
}

/**
 * A version an advice run waits on is solved once it has a solver result and
 * every solver workflow still in flight for it has reported. So a request
 * that named one solver (the adviser asks for its own runtime environment)
 * waits for that solver only, and a request for all waits for all; a solver
 * workflow that failed is not waited for.
 */
function solvedForAdvice(store: KnowledgeStore, version: PackageKey & { solved: boolean }): boolean {
  if (!version.solved) return false;
  const inFlight = store.workflowsInFlight('solver', version).map((entry) => entry.parameters.THOTH_SOLVER_NAME ?? '');
  return store.solversLacking(version, inFlight.filter(Boolean)).length === 0;
}

/** Advice runs waiting on the version that, as the cache stands, wait on nothing unsolved and have no re-run yet. */
export function completedAdviceRuns(store: KnowledgeStore, key: PackageKey): AdviceRun[] {
  // With no solvers named, the store counts a version solved once any solver has a result.
  return store
    .adviceRunsWaitingOn(key, [])
    .filter((run) => run.reRunPublishedAt === null && run.waitingOn.every((waited) => solvedForAdvice(store, waited)));
}

/** One message's writes, in the order they must be applied. */
export interface MessageWrites {
  changes: KnowledgeChange[];
  ledgerEntries: LedgerEntry[];
  /** Applied after the ledger entries (see isWorkflowBookkeeping). */
  bookkeeping: KnowledgeChange[];
  /** Versions whose waiting advice runs may now be complete. */
  releases: PackageKey[];
  /** The caller's closing write (the inbox row), joined to the transaction when nothing is to be published. */
  close?: () => void;
}

export interface KnowledgeRecorder {
  /** Writes it all in one transaction; returns the advice runs now complete, and whether `close` ran. */
  write(writes: MessageWrites, at: string): { completed: AdviceRun[]; closed: boolean };
  /** The advice run's re-run was acknowledged by the broker. */
  markReRunPublished(adviserId: string, at: string): void;
  /** A closing write on its own, once the publishes it must follow are acknowledged. */
  close(close: () => void): void;
}

export function knowledgeRecorder(store: KnowledgeStore): KnowledgeRecorder {
  return {
    write(writes, at) {
      let closed = false;
      const completed = store.transaction(() => {
        for (const change of writes.changes) applyChange(store, change, at);
        for (const entry of writes.ledgerEntries) store.recordWorkflow(entry);
        for (const change of writes.bookkeeping) applyChange(store, change, at);
        const runs = writes.releases.flatMap((key) => completedAdviceRuns(store, key));
        if (runs.length === 0 && writes.close) {
          writes.close();
          closed = true;
        }
        return runs;
      });
      return { completed, closed };
    },
    markReRunPublished: (adviserId, at) => store.markReRunPublished(adviserId, at),
    close: (close) => store.transaction(close),
  };
}
