/** How `thoth topics` prints: the catalogue's topics with their state, or the names it created. */
import { renderGrid, renderOutput } from '../ui/table.js';

export type TopicsFormat = 'table' | 'json' | 'yaml' | 'ndjson';

export interface TopicRow {
  topic: string;
  /** CLI name of the message type it carries; `dead-letter` for the dead-letter topic. */
  type: string;
  exists: boolean;
  partitions: number | null;
  messages: number | null;
}

export async function presentTopics(rows: TopicRow[], format: TopicsFormat): Promise<string> {
  if (format === 'json' || format === 'yaml') return renderOutput(rows, format);
  if (format === 'ndjson') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  return renderGrid(
    ['TOPIC', 'TYPE', 'EXISTS', 'PARTITIONS', 'MESSAGES'],
    rows.map((r) => [
      r.topic,
      r.type,
      r.exists ? 'yes' : 'no',
      r.partitions === null ? '-' : String(r.partitions),
      r.messages === null ? '-' : String(r.messages),
    ]),
  );
}

export async function presentCreatedTopics(created: string[], format: TopicsFormat): Promise<string> {
  if (format === 'table') return created.map((name) => `${name}\n`).join('');
  if (format === 'ndjson') return created.map((name) => `${JSON.stringify(name)}\n`).join('');
  return renderOutput(created, format);
}
