/**
 * What bin/thoth.ts does before the dispatch core loads: Node's module compile cache, the answers
 * that need nothing else (`thoth --version`, and `thoth --help` as the build rendered it, without
 * commander or the command table), and one known warning of a dependency kept off stderr.
 */
import { fstatSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import nodeModule, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';
import { makeFolders } from '../core/folders.js';
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
    // Made here first: Node's own recursive mkdir spins for ever under /proc too (Node 22 and 24).
    const dir = compileCacheDir(env);
    makeFolders(dir);
    // ENABLED and ALREADY_ENABLED name the folder; FAILED and DISABLED (NODE_DISABLE_COMPILE_CACHE) do not.
    return node.enableCompileCache(dir).directory;
  } catch {
    return undefined;
  }
}

/** How a bundled file's code imports an ES module: given to it by requireBundled (scripts/bundle.mjs). */
export type ImportModule = (specifier: string) => Promise<unknown>;

/**
 * Requires the bundle of the rest of thoth (dist/bin/chunks/run.js, CommonJS) with V8's code for it
 * cached on disk: compiling the bundle was most of a command's start-up. Node's compile cache
 * (Node >= 22.1) would cache it too, but keeps less of it: `query stats` ran some 210 M instructions
 * with it, 165 to 180 M with this, on Node 22 and 24 (BENCHMARKS.md, Start-up). The code is
 * compiled as the CommonJS loader would (the same wrapper, plus `importModule`: code compiled this
 * way cannot use `import()` itself), and the code V8 compiled for it during the run is written at
 * exit, when there was none or V8 refused what there was. `key` names the bundle's content (the
 * build's hash of it); the file's length and the node's version go into the cache's name too.
 * Anything that goes wrong with the cache is as if there were none. Source maps
 * (--enable-source-maps) and NODE_DISABLE_COMPILE_CACHE=1 get a plain require.
 */
export function requireBundled(file: string, key: string, env: NodeJS.ProcessEnv): unknown {
  const require = createRequire(file);
  if (env.NODE_DISABLE_COMPILE_CACHE || process.sourceMapsEnabled) return require(file);
  const source = readFileSync(file, 'utf8');
  const cacheFile = join(compileCacheDir(env), `${basename(file)}-${key}-${source.length}-${process.version}-${process.arch}.v8`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // none yet: this run writes it
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname, importModule) {${source}\n})`;
  const script = new Script(wrapper, { filename: file, ...(cachedData ? { cachedData } : {}) });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        makeFolders(dirname(cacheFile));
        // Those of earlier builds and nodes go.
        for (const name of readdirSync(dirname(cacheFile)))
          if (name.startsWith(`${basename(file)}-`) && name !== basename(cacheFile))
            rmSync(join(dirname(cacheFile), name), { force: true });
        const partial = `${cacheFile}.${process.pid}`;
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, cacheFile);
      } catch {
        // an unwritable cache folder: the next run compiles again
      }
    });
  }
  // In require's cache, as the CommonJS loader puts what it loads.
  const module = new nodeModule(file);
  module.filename = file;
  require.cache[file] = module;
  const importModule: ImportModule = (specifier) => import(specifier);
  (script.runInThisContext() as (...args: unknown[]) => void).call(
    module.exports,
    module.exports,
    require,
    module,
    file,
    dirname(file),
    importModule,
  );
  module.loaded = true;
  return module.exports;
}

/**
 * Writes an answer of bin/thoth.ts (--version, --help) to stdout's file descriptor: process.stdout
 * loads Node's stream modules (and net's, for a pipe) when it is first used, more than the rest of
 * `thoth --version` costs. A reader that has gone (EPIPE) ends it quietly, as a closed pipe does
 * every other command (signals.ts); a stdout that would block gets the rest through process.stdout.
 */
export function writeAnswer(text: string, fd = 1, write: typeof writeSync = writeSync): void {
  let rest = Buffer.from(text);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(write(fd, rest));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return;
      if (code !== 'EAGAIN') throw error;
      process.stdout.write(rest);
      return;
    }
  }
}

/**
 * stdout as prerenderedHelp asks about it, without process.stdout where it cannot be a terminal (a
 * pipe, a file: not a character device), as writeAnswer does without it.
 */
export function stdoutShape(fd = 1): { isTTY?: boolean; columns?: number } {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return { isTTY: false };
  } catch {
    // not open: process.stdout says what it makes of that
  }
  return process.stdout;
}

/** Whether the command line asks for debugging detail (-v, --verbose), wherever it stands. */
export function verboseAsked(args: readonly string[]): boolean {
  return args.includes('-v') || args.includes('--verbose');
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
