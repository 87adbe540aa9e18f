/** How `thoth schema` prints: the schema document, or the list of types (aligned for a terminal, tab-separated for scripts). */
import type { MessageType } from '../messages/catalogue.js';

export function presentSchema(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export function presentTypeList(types: readonly MessageType[], tty: boolean): string {
  const rows = types.map((t) => [t.name, t.baseTopic, t.version]);
  if (!tty) return rows.map((r) => `${r.join('\t')}\n`).join('');
  const table = [['TYPE', 'BASE TOPIC', 'VERSION'], ...rows];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table.map((r) => `${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}\n`).join('');
}
