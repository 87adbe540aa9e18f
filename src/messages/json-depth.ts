/**
 * How deeply JSON may nest. Python's json.loads recurses once per object or
 * array and raises RecursionError near its recursion limit (1000 frames, minus
 * the consumer's own), so upstream refuses bodies nested about a thousand
 * levels deep. thoth refuses beyond MAX_JSON_DEPTH, well inside that, so that
 * every body it accepts upstream's consumer reads too, and so that every walk
 * over a parsed value (validation, secret masking, display, serialisation)
 * is bounded. The check is a single pass over the text, before any parser or
 * walk sees it.
 */

/** Objects and arrays inside one another, at most; no real message nests more than a handful. */
export const MAX_JSON_DEPTH = 512;

/** The reason given for a value nested deeper than `limit`. */
export function tooDeepReason(limit = MAX_JSON_DEPTH): string {
  return `nested more than ${limit} levels deep (objects and arrays inside one another)`;
}

/**
 * The offset of the first `[` or `{` that opens level `limit + 1`, or undefined
 * when the text nests no deeper than `limit`. Strings are skipped (a bracket
 * inside one is text); malformed JSON is counted as it stands, which is all a
 * bound needs.
 */
export function nestingBeyond(text: string, limit = MAX_JSON_DEPTH): number | undefined {
  // Fewer characters than levels cannot nest that deep: most bodies end here.
  if (text.length <= limit) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}
