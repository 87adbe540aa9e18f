/** How `thoth publish` prints where each message landed. */
import type { RecordPosition } from '../transport/port.js';
import { renderRecords, renderTable } from '../ui/table.js';

export type PublishFormat = 'table' | 'wide' | 'json' | 'yaml' | 'ndjson';

type Landed = RecordPosition & { key: string | null };

export function presentPositions(positions: Landed[], format: PublishFormat, width?: number): Promise<string> {
  return renderRecords(positions, format, (rows, wide) =>
    renderTable(
      rows,
      [
        { header: 'topic', value: (p: Landed) => p.topic, truncate: false },
        { header: 'partition', value: (p: Landed) => p.partition },
        { header: 'offset', value: (p: Landed) => p.offset, truncate: false },
        { header: 'key', value: (p: Landed) => p.key ?? '', dropOrder: 1 },
      ],
      { width, wide },
    ),
  );
}
