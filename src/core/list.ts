/** `a, b,,c` → ['a', 'b', 'c']: the comma lists of settings and repeatable flags (`--mode a,b --mode c`). */
export function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(',') : value.flatMap((v) => v.split(','));
  return items.map((item) => item.trim()).filter((item) => item !== '');
}
