/**
 * The one reading of a yes/no word (SPEC §2.2): 0/false/no/off are false,
 * 1/true/yes/on true, in any case. Upstream's parser took "0" as true; this
 * one does not.
 */
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);
const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);

/** true or false, or undefined when the text is not one of the words. */
export function booleanWord(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (FALSE_WORDS.has(word)) return false;
  if (TRUE_WORDS.has(word)) return true;
  return undefined;
}
