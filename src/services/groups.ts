/**
 * What `thoth groups` does with a broker's groups: describe one with its lag,
 * and plan (then apply) a reset of its offsets as kafka-consumer-groups.sh
 * --reset-offsets does, refusing while the group has members (they would
 * overwrite the new offsets with their next commit).
 */
import { UserError } from '../core/errors.js';
import { onlyPartitions, type GroupAdmin, type GroupMember } from '../transport/port.js';

export interface GroupOffsetRow {
  topic: string;
  partition: number;
  /** The next offset the group reads; null where it has committed none. */
  committed: number | null;
  end: number;
  lag: number | null;
  /** The member reading the partition, if any. */
  member: string | null;
}

export interface GroupReport {
  group: string;
  state: string;
  members: GroupMember[];
  offsets: GroupOffsetRow[];
}

export async function describeGroup(admin: GroupAdmin, group: string): Promise<GroupReport> {
  const description = await admin.describe(group);
  const topics = [
    ...new Set([...description.committed.map((c) => c.topic), ...description.members.flatMap((m) => m.partitions.map((p) => p.topic))]),
  ].sort();
  const offsets: GroupOffsetRow[] = [];
  for (const topic of topics) {
    for (const { partition, high } of await admin.partitionOffsets(topic)) {
      const committed = description.committed.find((c) => c.topic === topic && c.partition === partition)?.offset ?? null;
      const member = description.members.find((m) => m.partitions.some((p) => p.topic === topic && p.partition === partition))?.id ?? null;
      if (committed === null && member === null) continue;
      offsets.push({ topic, partition, committed, end: high, lag: committed === null ? null : Math.max(0, high - committed), member });
    }
  }
  return { group: description.group, state: description.state, members: description.members, offsets };
}

export type ResetTarget =
  | { to: 'earliest' }
  | { to: 'latest' }
  | { to: 'offset'; offset: number }
  | { to: 'datetime'; timestamp: number }
  | { to: 'shift'; by: number };

/** Where a reset applies: one topic, and only some of its partitions when `partitions` is given (`--topic T:0,2`). */
export interface ResetScope {
  topic: string;
  partitions?: number[];
}

export interface ResetRow {
  topic: string;
  partition: number;
  current: number | null;
  target: number;
}

/** The new offset of every partition the group has committed to (of `scope` only, when given). */
export async function planReset(admin: GroupAdmin, group: string, target: ResetTarget, scope?: ResetScope): Promise<ResetRow[]> {
  const description = await admin.describe(group);
  if (description.members.length > 0)
    throw new UserError(
      `group ${group} has ${description.members.length} active member${description.members.length === 1 ? '' : 's'} (${description.members.map((m) => m.id).join(', ')}): offsets can only be reset while nothing consumes in it`,
      'stop its consumers (thoth investigate, tail --group), then try again',
    );
  const topics = scope !== undefined ? [scope.topic] : [...new Set(description.committed.map((c) => c.topic))].sort();
  if (topics.length === 0) throw new UserError(`group ${group} has no committed offsets`, 'name a topic with --topic to set them');
  const rows: ResetRow[] = [];
  for (const name of topics) {
    const offsets = await admin.partitionOffsets(name, target.to === 'datetime' ? target.timestamp : undefined);
    const chosen = onlyPartitions(
      name,
      offsets.map((o) => o.partition),
      scope?.partitions,
    );
    for (const { partition, low, high, atTime } of offsets.filter((o) => chosen.includes(o.partition))) {
      const current = description.committed.find((c) => c.topic === name && c.partition === partition)?.offset ?? null;
      const wanted =
        target.to === 'earliest'
          ? low
          : target.to === 'latest'
            ? high
            : target.to === 'offset'
              ? target.offset
              : target.to === 'datetime'
                ? (atTime ?? high)
                : (current ?? high) + target.by;
      // Kafka's tool clamps a shift, or an offset, to what the partition holds.
      rows.push({ topic: name, partition, current, target: Math.min(high, Math.max(low, wanted)) });
    }
  }
  return rows;
}

export async function applyReset(admin: GroupAdmin, group: string, rows: ResetRow[]): Promise<void> {
  for (const topic of [...new Set(rows.map((r) => r.topic))]) {
    await admin.setOffsets(
      group,
      topic,
      rows.filter((r) => r.topic === topic).map((r) => ({ partition: r.partition, offset: r.target })),
    );
  }
}
