/**
 * Durations as kubectl and Go write them: `90s`, `5m`, `1h30m`, `500ms`,
 * `1.5h`, `2d`. One grammar for every flag that takes a duration.
 */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < trimmed.length) {
    const at = PART.lastIndex;
    const match = PART.exec(trimmed);
    if (!match || match.index !== at) return undefined;
    total += Number(match[1]) * UNITS[match[2]];
  }
  return Number.isFinite(total) ? total : undefined;
}

/** `1h30m`, `45s`: a duration as a person reads it back. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''].join('');
}

/**
 * A point in time written as a duration before now (`10m`, `1h30m`, the
 * grammar above) or an ISO-8601 date (`2024-05-01`, `2024-05-01T12:00:00Z`):
 * milliseconds since the epoch, or undefined when the text is neither.
 */
export function parseSince(text: string, now: number): number | undefined {
  const ago = parseDuration(text);
  // A time before year -271821 (JavaScript's first date) is no time at all.
  if (ago !== undefined) return Number.isFinite(new Date(now - ago).getTime()) ? now - ago : undefined;
  const trimmed = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? at : undefined;
}
