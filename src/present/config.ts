/** How `thoth config` prints: the contexts of the file, and the effective settings with their sources. */
import { renderNames, renderOutput, renderTable } from '../ui/table.js';

export interface ContextRow {
  current: boolean;
  name: string;
  broker: string | null;
  deployment_name: string | null;
  kube_context: string | null;
}

/** One row of `config view` (src/config/effective.ts). */
export interface EffectiveSetting {
  setting: string;
  value: string | null;
  source: string;
}

export type ContextsFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';
export type ViewFormat = 'table' | 'wide' | 'json' | 'yaml';

export async function presentContexts(rows: ContextRow[], format: ContextsFormat, width?: number): Promise<string> {
  if (format === 'json' || format === 'yaml') return renderOutput(rows, format);
  if (format === 'name') return renderNames(rows.map((r) => r.name));
  return renderTable(
    rows,
    [
      { header: 'current', value: (r) => (r.current ? '*' : '') },
      { header: 'name', value: (r) => r.name, truncate: false },
      { header: 'broker', value: (r) => r.broker },
      { header: 'deployment', value: (r) => r.deployment_name, dropOrder: 2 },
      { header: 'kube context', value: (r) => r.kube_context, dropOrder: 1 },
    ],
    { width, wide: format === 'wide' },
  );
}

export async function presentEffective(rows: EffectiveSetting[], format: ViewFormat, width?: number): Promise<string> {
  if (format === 'json' || format === 'yaml') return renderOutput(rows, format);
  // The table leaves out what nothing sets, unless -o wide.
  const shown = format === 'wide' ? rows : rows.filter((r) => r.source !== 'unset' || r.setting === 'context');
  return renderTable(
    shown,
    [
      { header: 'setting', value: (r) => r.setting, truncate: false },
      { header: 'value', value: (r) => r.value },
      { header: 'source', value: (r) => r.source },
    ],
    { width, wide: format === 'wide' },
  );
}
