/** How `thoth publish` prints where each message landed. */
import type { RecordPosition } from '../transport/port.js';
import { renderGrid, renderOutput } from '../ui/table.js';

export type PublishFormat = 'table' | 'json' | 'yaml' | 'ndjson';

export async function presentPositions(positions: Array<RecordPosition & { key: string | null }>, format: PublishFormat): Promise<string> {
  if (format === 'json' || format === 'yaml') return renderOutput(positions, format);
  if (format === 'ndjson') return positions.map((p) => `${JSON.stringify(p)}\n`).join('');
  return renderGrid(
    ['TOPIC', 'PARTITION', 'OFFSET', 'KEY'],
    positions.map((p) => [p.topic, String(p.partition), String(p.offset), p.key ?? '']),
  );
}
