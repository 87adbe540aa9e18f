/**
 * How `thoth topics` prints: the catalogue's topics with their state, then, for those that exist
 * on Kafka, what `kcat -L` shows (each partition's leader, replicas, in-sync replicas) with the
 * offsets and the topic's own settings; or the names `create` created.
 */
import type { PartitionInfo } from '../messages/broker-records.js';
import { renderRecords, renderTable, type Column } from '../ui/table.js';

export type TopicsFormat = 'table' | 'wide' | 'json' | 'yaml' | 'ndjson' | 'name';

export interface TopicRow {
  topic: string;
  /** CLI name of the message type it carries; `dead-letter` for the dead-letter topic. */
  type: string;
  exists: boolean;
  partitions: number | null;
  messages: number | null;
  /** Where the broker tells them: each partition's leader, replicas, in-sync replicas and offsets. */
  partition_details?: PartitionInfo[];
  /** The topic's settings that differ from the broker's defaults. */
  config?: Record<string, string>;
}

const ids = (list: number[]) => (list.length ? list.join(',') : '-');

/** kcat -L's view of one topic, with offsets and settings. */
function metadataLines(row: TopicRow): string[] {
  if (!row.partition_details) return [];
  const config = Object.entries(row.config ?? {}).map(([name, value]) => `${name}=${value}`);
  return [
    `${row.topic}: ${row.partition_details.length} partition${row.partition_details.length === 1 ? '' : 's'}${config.length ? `; config ${config.join(' ')}` : ''}`,
    ...row.partition_details.map(
      (p) =>
        `  partition ${p.partition}  leader ${p.leader ?? 'none'}  replicas ${ids(p.replicas)}  isr ${ids(p.isr)}  low ${p.low}  high ${p.high}`,
    ),
  ];
}

const columns: Array<Column<TopicRow>> = [
  { header: 'topic', value: (r) => r.topic, truncate: false },
  { header: 'type', value: (r) => r.type, dropOrder: 1 },
  { header: 'exists', value: (r) => (r.exists ? 'yes' : 'no') },
  { header: 'partitions', value: (r) => r.partitions },
  { header: 'messages', value: (r) => r.messages, dropOrder: 2 },
];

export function presentTopics(rows: TopicRow[], format: TopicsFormat, width?: number): Promise<string> {
  return renderRecords(
    rows,
    format,
    (all, wide) => {
      const details = all.flatMap(metadataLines);
      return `${renderTable(all, columns, { width, wide })}${details.length ? `\n${details.join('\n')}\n` : ''}`;
    },
    (row) => row.topic,
  );
}

/** The names create created: one per line for people, JSON strings per line or one document for scripts. */
export function presentCreatedTopics(created: string[], format: TopicsFormat): Promise<string> {
  return renderRecords(
    created,
    format,
    (names) => names.map((name) => `${name}\n`).join(''),
    (name) => name,
  );
}
