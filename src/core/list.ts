/** `a, b,,c` → ['a', 'b', 'c']: the comma lists of settings and repeatable flags (`--mode a,b --mode c`). */
export function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(',') : value.flatMap((v) => v.split(','));
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/** `a, b, c and 17 more`: a list named in a message, cut to its first few. */
export function firstFew(items: readonly string[], shown = 3): string {
  if (items.length <= shown + 1) return items.join(', ');
  return `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;
}
