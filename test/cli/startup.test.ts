/**
 * What bin/thoth.ts does before the dispatch core loads (src/cli/startup.ts): Node's compile cache
 * under the user's cache folder, best effort, and `--version` and `--help` answered on their own.
 */
import { spawnSync } from 'node:child_process';
import nodeModule from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  PRERENDERED_HELP_WIDTH,
  compileCacheDir,
  dropKafkajsNegativeTimeoutWarning,
  enableCompileCache,
  prerenderedHelp,
  versionOnly,
  writeAnswer,
} from '../../src/cli/startup.js';
import { thothVersion } from '../../src/core/version.js';
import { cleanEnv, spawnThoth } from '../support/cli.js';

const nodeHasCompileCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const temp = () => mkdtempSync(join(tmpdir(), 'thoth-startup-'));

describe('the compile cache folder', () => {
  it('is $XDG_CACHE_HOME/thoth/compile-cache', () => {
    expect(compileCacheDir({ XDG_CACHE_HOME: '/xdg', HOME: '/home/u' })).toBe('/xdg/thoth/compile-cache');
  });

  it('is ~/.cache/thoth/compile-cache without XDG_CACHE_HOME, or with a relative one (the XDG spec ignores it)', () => {
    expect(compileCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/thoth/compile-cache');
    expect(compileCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.cache/thoth/compile-cache');
    expect(compileCacheDir({}, () => '/from/passwd')).toBe('/from/passwd/.cache/thoth/compile-cache');
  });
});

describe('enabling the compile cache', () => {
  it('hands Node the folder and returns the one Node uses', () => {
    const asked: Array<string | undefined> = [];
    const answer = (dir?: string) => (asked.push(dir), { status: 1, directory: dir });
    const xdg = temp();
    expect(enableCompileCache({ XDG_CACHE_HOME: xdg }, { enableCompileCache: answer })).toBe(`${xdg}/thoth/compile-cache`);
    expect(asked).toEqual([`${xdg}/thoth/compile-cache`]);
  });

  it('returns undefined, and throws nothing, when Node has no compile cache, refuses the folder, is told not to, or throws', () => {
    const node = (answer: () => { status: number; message?: string; directory?: string }) => ({ enableCompileCache: answer });
    const home = temp();
    expect(enableCompileCache({ HOME: home }, {})).toBeUndefined();
    expect(
      enableCompileCache(
        { HOME: home },
        node(() => ({ status: 0, message: 'Cannot create cache directory: not a directory' })),
      ),
    ).toBeUndefined();
    expect(
      enableCompileCache(
        { HOME: home },
        node(() => ({ status: 3, message: 'Disabled by NODE_DISABLE_COMPILE_CACHE' })),
      ),
    ).toBeUndefined();
    expect(
      enableCompileCache(
        { HOME: home },
        node(() => {
          throw new Error('boom');
        }),
      ),
    ).toBeUndefined();
  });

  it(`fills the user's cache folder when thoth runs on Node ${process.version}`, async () => {
    const cache = temp();
    // A command that loads the dispatch core (`--help` alone is answered before it, from one file).
    const result = await spawnThoth(['schema', '--list'], { env: cleanEnv({ XDG_CACHE_HOME: cache }) });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const folder = join(cache, 'thoth', 'compile-cache');
    // The code V8 compiled for the bundle, by the bundle's content and the node's version (requireBundled);
    // Node's compile cache, where Node has one, in a folder per Node version and V8 flags.
    const bundle = new RegExp(`^run\\.js-[0-9a-f]{16}-\\d+-${process.version.replaceAll('.', '\\.')}-${process.arch}\\.v8$`);
    const node = new RegExp(`^${process.version.replaceAll('.', '\\.')}-`);
    expect(readdirSync(folder).sort()).toEqual(
      nodeHasCompileCache ? [expect.stringMatching(bundle), expect.stringMatching(node)] : [expect.stringMatching(bundle)],
    );
  });

  it('never fails a command when the folder cannot be made (its parent is a file, as on a read-only root)', async () => {
    const file = join(temp(), 'not-a-folder');
    writeFileSync(file, '');
    for (const args of [['--version'], ['--help'], ['schema', '--list']]) {
      const result = await spawnThoth(args, { env: cleanEnv({ XDG_CACHE_HOME: file, HOME: file }) });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).not.toBe('');
    }
  });

  it("ends a command whose cache folder would be under /proc (where a recursive mkdir spins for ever, Node's own too)", async () => {
    const result = await spawnThoth(['schema', '--list'], {
      env: cleanEnv({ XDG_CACHE_HOME: '/proc/thoth-no-such-folder' }),
      timeoutMs: 30_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('adviser-trigger');
  });
});

describe("V8's code cache for the bundle", () => {
  const STARTUP = pathToFileURL(join(REPO, 'dist', 'src', 'cli', 'startup.js')).href;
  // A bundle as chunks/run.js is one: CommonJS, its import() through `importModule`.
  const dir = temp();
  const bundle = join(dir, 'bundle.js');
  writeFileSync(bundle, `exports.answer = 6 * 7;\nexports.cpus = () => importModule('node:os').then((os) => typeof os.cpus);\n`);
  /** requireBundled in a process of its own (the cache is written at exit). */
  const load = (cache: string, key = 'k1') => {
    const script = `import { requireBundled } from ${JSON.stringify(STARTUP)};
      const bundle = requireBundled(${JSON.stringify(bundle)}, ${JSON.stringify(key)}, process.env);
      process.stdout.write(JSON.stringify({ answer: bundle.answer, cpus: await bundle.cpus() }));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: cleanEnv({ XDG_CACHE_HOME: cache }),
      encoding: 'utf8',
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    return JSON.parse(child.stdout) as unknown;
  };
  const cached = (cache: string) =>
    readdirSync(join(cache, 'thoth', 'compile-cache')).map((name) => join(cache, 'thoth', 'compile-cache', name));

  it('writes the code at the first run, reads it at the next, and the bundle works the same either way', () => {
    const cache = temp();
    expect(load(cache)).toEqual({ answer: 42, cpus: 'function' });
    const [file] = cached(cache);
    expect(basename(file)).toMatch(/^bundle\.js-k1-/);
    const written = statSync(file).mtimeMs;
    expect(load(cache)).toEqual({ answer: 42, cpus: 'function' });
    // Taken as it was: not written again.
    expect(cached(cache)).toEqual([file]);
    expect(statSync(file).mtimeMs).toBe(written);
  });

  it('compiles again, and writes anew, when what is cached is not V8 code for the bundle; another build replaces it', () => {
    const cache = temp();
    load(cache);
    const [file] = cached(cache);
    writeFileSync(file, 'not code');
    expect(load(cache)).toEqual({ answer: 42, cpus: 'function' });
    expect(readFileSync(file, 'utf8')).not.toBe('not code');
    expect(load(cache, 'k2')).toEqual({ answer: 42, cpus: 'function' });
    expect(cached(cache).map((f) => basename(f))).toEqual([expect.stringMatching(/^bundle\.js-k2-/)]);
  });

  it('works without a cache where the folder cannot be made', () => {
    const file = join(temp(), 'not-a-folder');
    writeFileSync(file, '');
    expect(load(file)).toEqual({ answer: 42, cpus: 'function' });
  });
});

describe('an answer of its own (--version, --help) on stdout', () => {
  it('is written whole, however little each write takes, and a reader that has gone ends it quietly', () => {
    const bytes: number[] = [];
    writeAnswer('thoth ✓\n', 1, ((_fd: number, buffer: Buffer) => (bytes.push(buffer[0]), 1)) as never);
    expect(Buffer.from(bytes).toString()).toBe('thoth ✓\n');
    const gone = (() => {
      throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    }) as never;
    expect(() => writeAnswer('thoth\n', 1, gone)).not.toThrow();
  });
});

describe('--version before the dispatch core', () => {
  it('answers --version alone, as the dispatch core would', async () => {
    expect(versionOnly(['--version'])).toBe(`${thothVersion()}\n`);
    const spawned = await spawnThoth(['--version']);
    expect(spawned).toEqual({ code: 0, stdout: `${thothVersion()}\n`, stderr: '' });
  });

  it('leaves every other command line to the dispatch core', () => {
    for (const args of [[], ['--help'], ['-q', '--version'], ['--version', 'extra'], ['query', '--version']])
      expect(versionOnly(args)).toBeUndefined();
  });
});

describe('--help before the dispatch core', () => {
  const written = join(temp(), 'help.txt');
  writeFileSync(written, 'the help\n');
  const file = pathToFileURL(written);
  const pipe = () => ({ isTTY: false });

  it('prints what the build rendered for --help or -h alone, to a pipe or a terminal of that width', () => {
    expect(prerenderedHelp(['--help'], pipe, file)).toBe('the help\n');
    expect(prerenderedHelp(['-h'], pipe, file)).toBe('the help\n');
    expect(prerenderedHelp(['--help'], () => ({ isTTY: true, columns: PRERENDERED_HELP_WIDTH }), file)).toBe('the help\n');
    // A terminal that does not tell its width: commander takes 80 columns as well.
    expect(prerenderedHelp(['--help'], () => ({ isTTY: true }), file)).toBe('the help\n');
  });

  it('leaves other command lines, other widths and a missing rendering to the dispatch core', () => {
    let asked = 0;
    const counted = () => (asked++, { isTTY: false });
    for (const args of [[], ['help'], ['--help', '-q'], ['query', '--help'], ['--version']])
      expect(prerenderedHelp(args, counted, file)).toBeUndefined();
    expect(asked).toBe(0);
    expect(prerenderedHelp(['--help'], () => ({ isTTY: true, columns: 120 }), file)).toBeUndefined();
    expect(prerenderedHelp(['--help'], pipe, pathToFileURL(join(temp(), 'none.txt')))).toBeUndefined();
  });

  it('prints, exits and reports as commander does through the dispatch core', async () => {
    // `-q` sends the same request through the dispatch core and commander.
    const core = await spawnThoth(['--help', '-q']);
    expect(core.code).toBe(0);
    expect(core.stdout).toMatch(/^Usage: thoth \[options\] \[command\]\n/);
    for (const args of [['--help'], ['-h']]) expect(await spawnThoth(args)).toEqual(core);
  });
});

describe("kafkajs's negative timer", () => {
  // Node >= 23 reports a timer armed with a negative delay (TimeoutNegativeWarning); 20 and 22 do not.
  const [major] = process.versions.node.split('.').map(Number);
  const nodeWarns = major >= 23;

  /**
   * The TimeoutNegativeWarning lines of a node process whose kafkajs request queue arms its negative
   * timer, or that arms one of its own (-5 ms). Node reports only the first such timer of a process.
   */
  function negativeTimer(from: 'kafkajs' | 'thoth', filtered: boolean): string[] {
    const script = `
      import { createRequire } from 'node:module';
      ${filtered ? `import { dropKafkajsNegativeTimeoutWarning } from ${JSON.stringify(new URL('../../dist/src/cli/startup.js', import.meta.url).href)}; dropKafkajsNegativeTimeoutWarning();` : ''}
      if (${JSON.stringify(from)} === 'kafkajs') {
        const require = createRequire(${JSON.stringify(new URL('../../package.json', import.meta.url).href)});
        const RequestQueue = require('kafkajs/src/network/requestQueue');
        const logger = { debug() {}, info() {}, warn() {}, error() {}, namespace() { return logger; } };
        new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1000, clientId: 'c', broker: 'b', logger }).scheduleCheckPendingRequests();
      } else {
        setTimeout(() => {}, -5);
      }
      // The queue re-arms its check for as long as it lives; warnings are printed on the next tick.
      setTimeout(() => process.exit(0), 50);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.status, child.stderr).toBe(0);
    return child.stderr.split('\n').filter((line) => line.includes('TimeoutNegativeWarning'));
  }

  it(`is reported by Node ${process.version} ${nodeWarns ? 'as a warning on stderr' : 'not at all'} without the filter`, () => {
    expect(negativeTimer('kafkajs', false)).toHaveLength(nodeWarns ? 1 : 0);
  });

  it("is dropped by the filter, while a negative timer of thoth's own is still reported", () => {
    expect(negativeTimer('kafkajs', true)).toEqual([]);
    const own = negativeTimer('thoth', true);
    expect(own).toHaveLength(nodeWarns ? 1 : 0);
    if (nodeWarns) expect(own[0]).toMatch(/-5 is a negative number/);
  });

  it('passes every other warning to Node as it came', () => {
    const seen: unknown[][] = [];
    const target = { emitWarning: (...args: unknown[]) => void seen.push(args) } as unknown as NodeJS.Process;
    dropKafkajsNegativeTimeoutWarning(target);
    target.emitWarning('-5 is a negative number.', 'TimeoutNegativeWarning');
    target.emitWarning('old', { type: 'DeprecationWarning', code: 'DEP0001' });
    expect(seen).toEqual([
      ['-5 is a negative number.', 'TimeoutNegativeWarning'],
      ['old', { type: 'DeprecationWarning', code: 'DEP0001' }],
    ]);
  });
});
