/** How `thoth topics` prints: the catalogue's topics with their state, or the names it created. */
import { renderGrid, renderRecords } from '../ui/table.js';

export type TopicsFormat = 'table' | 'json' | 'yaml' | 'ndjson';

export interface TopicRow {
  topic: string;
  /** CLI name of the message type it carries; `dead-letter` for the dead-letter topic. */
  type: string;
  exists: boolean;
  partitions: number | null;
  messages: number | null;
}

export function presentTopics(rows: TopicRow[], format: TopicsFormat): Promise<string> {
  return renderRecords(rows, format, (all) =>
    renderGrid(
      ['TOPIC', 'TYPE', 'EXISTS', 'PARTITIONS', 'MESSAGES'],
      all.map((r) => [
        r.topic,
        r.type,
        r.exists ? 'yes' : 'no',
        r.partitions === null ? '-' : String(r.partitions),
        r.messages === null ? '-' : String(r.messages),
      ]),
    ),
  );
}

/** The names create created: one per line for people, JSON strings per line or one document for scripts. */
export function presentCreatedTopics(created: string[], format: TopicsFormat): Promise<string> {
  return renderRecords(created, format, (names) => names.map((name) => `${name}\n`).join(''));
}
