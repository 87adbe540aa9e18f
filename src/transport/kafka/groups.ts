/** Consumer groups on Kafka through the admin client (kafka-consumer-groups.sh's list, describe and reset-offsets). */
import kafkajs, { type Admin } from 'kafkajs';
import type { KafkaSettings } from '../../config/kafka.js';
import type { GroupAdmin, GroupMember } from '../port.js';
import { describeKafkaFailure } from './errors.js';

const { AssignerProtocol } = kafkajs;

function partitionsOf(assignment: Buffer): GroupMember['partitions'] {
  if (assignment.length === 0) return [];
  const decoded = AssignerProtocol.MemberAssignment.decode(assignment);
  return Object.entries(decoded?.assignment ?? {}).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
}

export function kafkaGroups(admin: Admin, settings: KafkaSettings): GroupAdmin {
  const failing = (what: string) => (error: unknown) => {
    throw describeKafkaFailure(settings, error, what);
  };
  const describe = async (group: string) => {
    const { groups } = await admin.describeGroups([group]).catch(failing(`describing group ${group}`));
    const info = groups[0];
    const offsets = await admin.fetchOffsets({ groupId: group }).catch(failing(`fetching the offsets of group ${group}`));
    return {
      group,
      state: info?.state ?? 'Dead',
      members: (info?.members ?? []).map((m) => ({
        id: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        partitions: partitionsOf(m.memberAssignment),
      })),
      committed: offsets
        .flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })))
        // -1: the group has no offset for that partition.
        .filter((o) => o.offset >= 0)
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
    };
  };
  return {
    list: async () => {
      const { groups } = await admin.listGroups().catch(failing('listing consumer groups'));
      const names = groups.map((g) => g.groupId).sort();
      if (names.length === 0) return [];
      const described = await admin.describeGroups(names).catch(failing('describing consumer groups'));
      const state = new Map(described.groups.map((g) => [g.groupId, g.state]));
      return names.map((group) => ({ group, state: state.get(group) ?? 'Unknown' }));
    },
    describe,
    partitionOffsets: async (topic, timestamp) => {
      const offsets = await admin.fetchTopicOffsets(topic).catch(failing(`fetching the offsets of ${topic}`));
      const atTime =
        timestamp === undefined
          ? undefined
          : new Map(
              (await admin.fetchTopicOffsetsByTimestamp(topic, timestamp).catch(failing(`finding offsets by time in ${topic}`))).map(
                (p) => [p.partition, Number(p.offset)],
              ),
            );
      return offsets
        .map((o) => ({
          partition: o.partition,
          low: Number(o.low),
          high: Number(o.high),
          // -1: no record at or after the time: the end.
          ...(atTime ? { atTime: (atTime.get(o.partition) ?? -1) < 0 ? Number(o.high) : atTime.get(o.partition)! } : {}),
        }))
        .sort((a, b) => a.partition - b.partition);
    },
    setOffsets: async (group, topic, offsets) => {
      await admin
        .setOffsets({ groupId: group, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })) })
        .catch(failing(`setting the offsets of group ${group} on ${topic}`));
    },
  };
}
