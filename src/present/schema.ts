/** How `thoth schema` prints: the schema document, or the list of types (aligned for a terminal, tab-separated for scripts, or a document). */
import type { MessageType } from '../messages/catalogue.js';
import { renderNames, renderOutput } from '../ui/table.js';

export type SchemaFormat = 'json' | 'yaml';
export type TypeListFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

export function presentSchema(schema: object, format: SchemaFormat = 'json'): Promise<string> {
  return renderOutput(schema, format);
}

export async function presentTypeList(types: readonly MessageType[], format: TypeListFormat, tty: boolean): Promise<string> {
  if (format === 'name') return renderNames(types.map((t) => t.name));
  if (format === 'json' || format === 'yaml')
    return renderOutput(
      types.map((t) => ({ type: t.name, base_topic: t.baseTopic, version: t.version })),
      format,
    );
  const rows = types.map((t) => [t.name, t.baseTopic, t.version]);
  if (!tty) return rows.map((r) => `${r.join('\t')}\n`).join('');
  const table = [['TYPE', 'BASE TOPIC', 'VERSION'], ...rows];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table.map((r) => `${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}\n`).join('');
}
