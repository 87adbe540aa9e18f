/** How `thoth cache check` prints: one line when the file is sound, else what SQLite found. */
import type { IntegrityReport } from '../store/index.js';
import { terminalSafe } from '../core/terminal.js';

export function presentIntegrity(report: IntegrityReport, format: 'text' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(report)}\n`;
  if (report.ok) return `ok: ${terminalSafe(report.path)} passed SQLite's integrity check\n`;
  return [
    `damaged: ${terminalSafe(report.path)} failed SQLite's integrity check:`,
    ...report.problems.map((p) => `  ${terminalSafe(p)}`),
    '',
  ].join('\n');
}
