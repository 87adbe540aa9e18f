/** How `thoth publish` prints where each message landed. */
import type { RecordPosition } from '../transport/port.js';
import { renderGrid, renderRecords } from '../ui/table.js';

export type PublishFormat = 'table' | 'json' | 'yaml' | 'ndjson';

export function presentPositions(positions: Array<RecordPosition & { key: string | null }>, format: PublishFormat): Promise<string> {
  return renderRecords(positions, format, (rows) =>
    renderGrid(
      ['TOPIC', 'PARTITION', 'OFFSET', 'KEY'],
      rows.map((p) => [p.topic, String(p.partition), String(p.offset), p.key ?? '']),
    ),
  );
}
