/**
 * Follows one workflow until it completes: read it, watch from its
 * resourceVersion, and when the watch ends (the server's timeout, a dropped
 * connection) read again and watch again. Kept apart from kube.ts so the
 * loop is plain code; kube.ts supplies the read and watch calls.
 */
import { CancelledError, FatalError, PermanentError, UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { FailureClass } from './http-failures.js';
import type { Workflow } from '../workflows/types.js';
import { sleep } from '../core/sleep.js';

export const FINISHED_PHASES = new Set(['Succeeded', 'Failed', 'Error']);

export function isFinished(workflow: Workflow): boolean {
  return FINISHED_PHASES.has(workflow.status?.phase ?? '');
}

export interface WatchLoopOptions {
  read(): Promise<Workflow | undefined>;
  /** Starts a watch; resolves with a handle to stop it. onEnd gets null on a clean end (timeout). */
  watch(
    resourceVersion: string | undefined,
    onEvent: (type: string, object: Workflow) => void,
    onEnd: (error: unknown) => void,
  ): Promise<{ abort(): void }>;
  onChange(workflow: Workflow): void;
  signal: AbortSignal;
  name: string;
  namespace: string;
  backoff(attempt: number): number;
  describeError(error: unknown): FailureClass;
  log: Logger;
  /** Consecutive failed watches before giving up. */
  maxFailures?: number;
}

type Round = { done: Workflow } | { error: unknown } | { ended: true } | { aborted: true };

const pause = sleep;

export async function watchUntilDone(o: WatchLoopOptions): Promise<Workflow> {
  let lastSeen: string | undefined;
  const emit = (workflow: Workflow) => {
    const version = workflow.metadata?.resourceVersion ?? JSON.stringify(workflow.status ?? {});
    if (version === lastSeen) return;
    lastSeen = version;
    o.onChange(workflow);
  };
  const gone = () => new UserError(`workflow ${o.name} no longer exists in namespace ${o.namespace}`);
  let failures = 0;

  for (;;) {
    if (o.signal.aborted) throw new CancelledError();
    const current = await o.read();
    if (!current) throw gone();
    emit(current);
    if (isFinished(current)) return current;
    if (o.signal.aborted) throw new CancelledError();

    const round = await new Promise<Round>((resolve) => {
      let settled = false;
      let handle: { abort(): void } | undefined;
      const finish = (value: Round) => {
        if (settled) return;
        settled = true;
        o.signal.removeEventListener('abort', onAbort);
        handle?.abort();
        resolve(value);
      };
      const onAbort = () => finish({ aborted: true });
      o.signal.addEventListener('abort', onAbort, { once: true });
      o.watch(
        current.metadata.resourceVersion,
        (type, object) => {
          if (type === 'DELETED') return finish({ error: gone() });
          // An ERROR event carries a Status (410 Gone when the resourceVersion is too old): read again.
          if (type === 'ERROR') return finish({ ended: true });
          if (object?.metadata?.name !== o.name) return;
          emit(object);
          if (isFinished(object)) finish({ done: object });
        },
        (error) => finish(error ? { error } : { ended: true }),
      ).then(
        (h) => {
          handle = h;
          if (settled) h.abort();
        },
        (error: unknown) => finish({ error }),
      );
    });

    if ('aborted' in round) throw new CancelledError();
    if ('done' in round) return round.done;
    if ('ended' in round) {
      failures = 0;
      continue;
    }
    if (round.error instanceof UserError) throw round.error;
    const failure = o.describeError(round.error);
    if (failure.kind === 'cluster')
      throw new FatalError(`watching workflow ${o.name} in namespace ${o.namespace}: ${failure.description}`, failure.hint);
    if (failure.kind === 'permanent')
      throw new PermanentError(failure.errorClass, `watching workflow ${o.name} in namespace ${o.namespace}: ${failure.description}`);
    failures++;
    if (failures >= (o.maxFailures ?? 6))
      throw new UserError(
        `watching workflow ${o.name} in namespace ${o.namespace}: ${failure.description} (gave up after ${failures} attempts)`,
      );
    o.log.debug(`watch of ${o.name} ended: ${failure.description}; watching again`);
    await pause(o.backoff(failures), o.signal);
  }
}
