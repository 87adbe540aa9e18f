/**
 * ARGO_PENDING_WORKFLOW_LIMIT / --pending-limit (SPEC §3): before a record's
 * effects schedule into a namespace that already holds that many pending
 * workflows, its handler waits (heartbeating). The transport hands a
 * partition its next record only when the handler returns, so waiting here
 * pauses exactly the partitions whose messages schedule into a full
 * namespace; the others keep flowing.
 */
import type { RecordContext } from '../transport/port.js';
import type { WorkflowKind } from '../workflows/types.js';
import type { Effect } from './effects.js';
import { sleepWithHeartbeat } from './retry.js';

export interface BackPressureOptions {
  limit: number;
  countPending(namespace: string): Promise<number>;
  namespaceFor(kind: WorkflowKind): string;
  /** How often a full namespace is counted again. */
  pollMs: number;
  heartbeatMs: number;
  onPause(namespace: string, pending: number): void;
  onResume(namespace: string): void;
}

export function pendingLimitGate(options: BackPressureOptions): (effects: Effect[], context: RecordContext) => Promise<void> {
  return async (effects, context) => {
    const namespaces = new Set(effects.filter((e) => e.type === 'schedule').map((e) => options.namespaceFor(e.request.kind)));
    for (const namespace of namespaces) {
      let paused = false;
      for (;;) {
        const pending = await options.countPending(namespace);
        if (pending < options.limit) break;
        if (!paused) options.onPause(namespace, pending);
        paused = true;
        await sleepWithHeartbeat(options.pollMs, context, options.heartbeatMs);
      }
      if (paused) options.onResume(namespace);
    }
  };
}
