/** "Did you mean" suggestions for mistyped names. */

/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/**
 * The candidate closest to `word`, when close enough to be a plausible typo
 * (or when `word` begins, or else occurs in, exactly one candidate).
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  if (!word || word.length > 200) return undefined;
  const lower = word.toLowerCase();
  const starting = candidates.filter((c) => c.startsWith(lower));
  if (starting.length === 1) return starting[0];
  const containing = candidates.filter((c) => c.includes(lower));
  if (containing.length === 1) return containing[0];
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(lower, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.name : undefined;
}

/** Suggestions listed at most, so that a short fragment does not repeat the whole list of names. */
const MAX_SUGGESTIONS = 4;

/**
 * Every candidate `word` plausibly meant: those it begins (`adviser` ->
 * adviser-trigger, adviser-re-run), else those it occurs in, plus the
 * nearest by edit distance; when none of these, those with a '-'-separated
 * part one or two edits from it (`solver`, `solvd` -> solved-package).
 */
export function suggestions(word: string, candidates: readonly string[]): string[] {
  if (!word || word.length > 200) return [];
  const lower = word.toLowerCase();
  const starting = candidates.filter((c) => c.startsWith(lower));
  const found = starting.length > 0 ? starting : lower.length >= 3 ? candidates.filter((c) => c.includes(lower)) : [];
  const closest = nearest(word, candidates);
  if (closest !== undefined && !found.includes(closest)) found.push(closest);
  if (found.length === 0 && lower.length >= 4) {
    const limit = Math.max(1, Math.floor(lower.length / 4));
    found.push(...candidates.filter((c) => c.split(/[-.]/).some((part) => editDistance(lower, part) <= limit)));
  }
  return found.slice(0, MAX_SUGGESTIONS);
}

/** ` (did you mean 'a' or 'b'?)`, or '' with nothing to suggest. */
export function didYouMean(names: readonly string[]): string {
  if (names.length === 0) return '';
  const quoted = names.map((n) => `'${n}'`);
  const listed = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
  return ` (did you mean ${listed}?)`;
}
