/**
 * Consumer-group membership on the embedded broker. Kafka gives each
 * partition of a group to one member; the embedded log has one partition per
 * topic, so a member leases it (src/store/log.ts): it reads only what it
 * holds, renews the lease while it consumes, and gives it up on a clean stop.
 * A member that dies stops renewing, and another member takes the partition
 * once the lease expires, from the group's last committed offset.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { EmbeddedLog, PartitionLease } from '../store/log.js';

/** How long a lease lasts unrenewed: a killed member's partitions move to another member after this. */
export const LEASE_MS = 10_000;

/** The longest a member waits before it looks again for a partition it does not hold. */
const RETRY_MS = 1_000;

type LeaseLog = Pick<EmbeddedLog, 'acquireLease' | 'renewLease' | 'releaseLease' | 'commitOffset'>;

export interface GroupPartition {
  topic: string;
  partition: number;
  /** The lease this member holds, or null while the partition is another member's (or nobody's yet). */
  lease: PartitionLease | null;
  /** When to renew the lease, or to try again to take it. */
  dueAt: number;
}

export interface GroupMembership {
  /**
   * Whether this member may read the partition now. Renews a held lease and
   * tries to take a free one when due; `onTaken` runs when the partition has
   * just become this member's (read the group's committed offset again).
   */
  holds(partition: GroupPartition, onTaken: () => void): boolean;
  /** Commits the next offset under the partition's lease and renews it when due; false (and the lease dropped) when fenced. */
  commit(partition: GroupPartition, nextOffset: number): boolean;
  /** Renews every held lease that is due (RecordContext.heartbeat while a handler waits). */
  renew(partitions: GroupPartition[]): void;
  /** Gives up every held lease. */
  release(partitions: GroupPartition[]): void;
}

/** A member id that says where it runs, for whoever reads the lease table. */
export function memberId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export function groupMembership(log: LeaseLog, group: string, leaseMs: number, now: () => number = Date.now): GroupMembership {
  const owner = memberId();
  // Renew well before expiry. Look for a free partition at least once a second, so that one a member
  // released on a clean stop is picked up about at once, however long the leases.
  const renewEvery = Math.max(1, Math.floor(leaseMs / 3));
  const retryEvery = Math.max(1, Math.min(RETRY_MS, Math.floor(leaseMs / 5)));

  const renew = (p: GroupPartition, at: number): void => {
    if (p.lease === null || at < p.dueAt) return;
    if (log.renewLease(group, p.topic, p.partition, p.lease, at, leaseMs)) p.dueAt = at + renewEvery;
    else drop(p, at);
  };
  const drop = (p: GroupPartition, at: number): void => {
    p.lease = null;
    p.dueAt = at + retryEvery;
  };

  return {
    holds(p, onTaken) {
      const at = now();
      renew(p, at);
      if (p.lease !== null || at < p.dueAt) return p.lease !== null;
      const lease = log.acquireLease(group, p.topic, p.partition, owner, at, leaseMs);
      if (lease === undefined) {
        p.dueAt = at + retryEvery;
        return false;
      }
      p.lease = lease;
      p.dueAt = at + renewEvery;
      onTaken();
      return true;
    },
    commit(p, nextOffset) {
      const at = now();
      if (p.lease !== null && log.commitOffset(group, p.topic, p.partition, nextOffset, p.lease)) {
        // A long batch must not outlive the lease it is read under.
        renew(p, at);
        return p.lease !== null;
      }
      drop(p, at);
      return false;
    },
    renew(partitions) {
      const at = now();
      for (const p of partitions) renew(p, at);
    },
    release(partitions) {
      for (const p of partitions) {
        if (p.lease !== null) log.releaseLease(group, p.topic, p.partition, p.lease);
        p.lease = null;
      }
    },
  };
}
