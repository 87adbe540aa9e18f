/** How `thoth cache` prints: how fresh the cache is against the knowledge topic, and what rebuild wrote. */
import { terminalSafe } from '../core/terminal.js';
import type { Freshness, Rebuilt } from '../services/cache.js';
import type { IntegrityReport } from '../store/index.js';
import { renderGrid, renderOutput } from '../ui/table.js';

export type CacheFormat = 'table' | 'json' | 'yaml';

const ago = (iso: string | null, now: number) => {
  if (iso === null) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const text = seconds < 120 ? `${seconds}s` : seconds < 7200 ? `${Math.round(seconds / 60)}m` : `${Math.round(seconds / 3600)}h`;
  return `${iso} (${text} ago)`;
};

export async function presentFreshness(fresh: Freshness, format: CacheFormat, now: number): Promise<string> {
  if (format !== 'table') return renderOutput(fresh, format);
  const state = fresh.behind === 0 ? 'caught up' : `${fresh.behind} record(s) behind`;
  return [
    `${fresh.topic}: ${state}; ${fresh.facts} fact(s) in the cache${fresh.unreadable ? `, ${fresh.unreadable} record(s) skipped (unreadable)` : ''}`,
    `newest fact learnt ${ago(fresh.newest_fact_at, now)}; last record written ${ago(fresh.last_record_at, now)}`,
    ...(fresh.dead_letters ? [`${fresh.dead_letters.topic}: ${fresh.dead_letters.kept} dead letter(s) new to the cache`] : []),
    '',
    renderGrid(
      ['PARTITION', 'READ', 'END', 'BEHIND'],
      fresh.partitions.map((p) => [String(p.partition), String(p.read), String(p.end), String(p.behind)]),
    ),
  ].join('\n');
}

export async function presentRebuilt(rebuilt: Rebuilt, format: CacheFormat): Promise<string> {
  if (format !== 'table') return renderOutput(rebuilt, format);
  return `${rebuilt.facts} fact(s) written to ${rebuilt.topic}${rebuilt.created ? ' (created, cleanup.policy=compact)' : ''}\n`;
}

/** `thoth cache check`: one line when the file is sound, else what SQLite found. */
export async function presentIntegrity(report: IntegrityReport, format: CacheFormat): Promise<string> {
  if (format !== 'table') return renderOutput(report, format);
  if (report.ok) return `ok: ${terminalSafe(report.path)} passed SQLite's integrity check\n`;
  return [
    `damaged: ${terminalSafe(report.path)} failed SQLite's integrity check:`,
    ...report.problems.map((p) => `  ${terminalSafe(p)}`),
    '',
  ].join('\n');
}
