/** "Did you mean" suggestions for mistyped names. */

/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
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
