/**
 * ink, loaded when a dashboard is about to be drawn. ink is an ES module only (it cannot be
 * required), and thoth's build is CommonJS (scripts/bundle.mjs): a static import of it would become
 * a require. So it is imported here, once, and the dashboard's modules take it from loadedInk().
 */
import type * as Ink from 'ink';

let ink: typeof Ink | undefined;

export async function loadInk(): Promise<typeof Ink> {
  return (ink ??= await import('ink'));
}

/** ink after loadInk(): a dashboard is only drawn once it has been loaded. */
export function loadedInk(): typeof Ink {
  if (!ink) throw new Error('ink is not loaded yet: await loadInk() first');
  return ink;
}
