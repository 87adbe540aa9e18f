/**
 * What bin/thoth.ts does before the dispatch core loads: Node's module compile cache, the answers
 * that need nothing else (`thoth --version`, and `thoth --help` as the build rendered it, without
 * commander or the command table), and one known warning of a dependency kept off stderr.
 */
import { readFileSync } from 'node:fs';
import nodeModule from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { thothVersion } from '../core/version.js';

/** module.enableCompileCache (Node >= 22.1) and its result; absent from Node 20 and its typings. */
type EnableCompileCache = (directory?: string) => { status: number; message?: string; directory?: string };
type NodeModule = { enableCompileCache?: EnableCompileCache };

/**
 * Where compiled code is cached: `$XDG_CACHE_HOME/thoth/compile-cache`, else
 * `~/.cache/thoth/compile-cache` (a relative XDG_CACHE_HOME is ignored, as the XDG spec says).
 */
export function compileCacheDir(env: NodeJS.ProcessEnv, home: () => string = homedir): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || home(), '.cache');
  return join(base, 'thoth', 'compile-cache');
}

/**
 * Turns on Node's compile cache where Node has it: V8 keeps the code it compiled for each module
 * on disk, so the next start reads it instead of compiling again. Only what loads after this call
 * is cached, so it runs first. Best effort: an unwritable folder (a read-only root, a HOME that is
 * not there) leaves the cache off and the command runs as without it. NODE_DISABLE_COMPILE_CACHE=1
 * turns it off, NODE_COMPILE_CACHE=DIR puts it elsewhere (Node's own variables).
 * Returns the folder in use, or undefined.
 */
export function enableCompileCache(env: NodeJS.ProcessEnv, node: NodeModule = nodeModule as unknown as NodeModule): string | undefined {
  if (typeof node.enableCompileCache !== 'function') return undefined;
  try {
    // ENABLED and ALREADY_ENABLED name the folder; FAILED and DISABLED (NODE_DISABLE_COMPILE_CACHE) do not.
    return node.enableCompileCache(compileCacheDir(env)).directory;
  } catch {
    return undefined;
  }
}

/** The text of `thoth --version` when it is the whole command line, else undefined (the dispatch core answers). */
export function versionOnly(args: readonly string[]): string | undefined {
  return args.length === 1 && args[0] === '--version' ? `${thothVersion()}\n` : undefined;
}

/**
 * The width the build renders the top-level help for (scripts/bundle.mjs): commander's own width
 * for output that is not a terminal, and that of an 80-column terminal.
 */
export const PRERENDERED_HELP_WIDTH = 80;

/**
 * The text of `thoth --help` (or `-h`) when it is the whole command line and the build's rendering
 * of it is the one commander would print: commander wraps the help to the terminal's width, and to
 * 80 columns when stdout is not a terminal (`stdout` is asked only for a help request). Else
 * undefined (the dispatch core answers). `file` is the rendering `npm run build` writes beside
 * dist/bin/thoth.js; without it the dispatch core answers as well.
 */
export function prerenderedHelp(
  args: readonly string[],
  stdout: () => { isTTY?: boolean; columns?: number },
  file: URL,
): string | undefined {
  if (args.length !== 1 || (args[0] !== '--help' && args[0] !== '-h')) return undefined;
  // Commander's rule (its getOutHelpWidth and Help.prepareContext).
  const out = stdout();
  const width = (out.isTTY ? out.columns : undefined) ?? 80;
  if (width !== PRERENDERED_HELP_WIDTH) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Where kafkajs 2.2.4 arms a timer with a negative delay (see dropKafkajsNegativeTimeoutWarning). */
const KAFKAJS_REQUEST_QUEUE = /kafkajs[\\/]src[\\/]network[\\/]requestQueue[\\/]/;

/**
 * kafkajs 2.2.4, its last release, arms its request queue's check with `throttledUntil - Date.now()`
 * while throttledUntil is still -1: a delay below zero, which Node takes as 1 ms, and which Node >= 23
 * also reports on stderr as a TimeoutNegativeWarning, on every Kafka command (`thoth tail` on Node 24
 * printed it before its first line). Only that warning from that place is dropped; every other
 * warning, a negative timeout of thoth's own included, is printed as before.
 */
export function dropKafkajsNegativeTimeoutWarning(target: NodeJS.Process = process): void {
  const emit = target.emitWarning.bind(target) as (...args: unknown[]) => void;
  const filtered = (warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'TimeoutNegativeWarning' && KAFKAJS_REQUEST_QUEUE.test(new Error().stack ?? '')) return;
    emit(warning, ...rest);
  };
  target.emitWarning = filtered;
}
