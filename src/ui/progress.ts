/**
 * A one-line progress bar on stderr for long-running commands (replay), drawn
 * with plain ANSI so that it costs nothing to load. Only on a terminal: when
 * stderr is piped, nothing is drawn and logs stay clean.
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

import { noProgress, type Progress } from '../core/progress.js';

/** Redraws at most every `intervalMs`, so that a fast replay is not slowed by its own bar. */
export function progressBar(stream: ProgressStream, options: { now?: () => number; intervalMs?: number } = {}): Progress {
  if (!stream.isTTY) return noProgress;
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 100;
  let last = -Infinity;
  let drawn = false;
  return {
    update(done, total, label) {
      const at = now();
      if (at - last < interval && !(total !== undefined && done >= total)) return;
      last = at;
      drawn = true;
      stream.write(`\r\x1b[2K${renderProgress(done, total, label, stream.columns || 80)}`);
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

/** The text of the bar, without control characters: `[#####.....]  42%  label`. */
export function renderProgress(done: number, total: number | undefined, label: string, columns: number): string {
  if (total === undefined || total <= 0) return label.slice(0, Math.max(0, columns - 1));
  const ratio = Math.min(1, Math.max(0, done / total));
  const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
  const width = Math.max(10, Math.min(40, columns - label.length - 12));
  const filled = Math.round(ratio * width);
  const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}  ${label}`;
  return line.slice(0, Math.max(0, columns - 1));
}
