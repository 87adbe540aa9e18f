/**
 * What bin/thoth.ts does before the dispatch core loads (src/cli/startup.ts): Node's compile cache
 * under the user's cache folder, best effort, and `--version` answered on its own.
 */
import nodeModule from 'node:module';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCacheDir, enableCompileCache, versionOnly } from '../../src/cli/startup.js';
import { thothVersion } from '../../src/core/version.js';
import { cleanEnv, spawnThoth } from '../support/cli.js';

const nodeHasCompileCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
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
    expect(enableCompileCache({ XDG_CACHE_HOME: '/xdg' }, { enableCompileCache: answer })).toBe('/xdg/thoth/compile-cache');
    expect(asked).toEqual(['/xdg/thoth/compile-cache']);
  });

  it('returns undefined, and throws nothing, when Node has no compile cache, refuses the folder, is told not to, or throws', () => {
    const node = (answer: () => { status: number; message?: string; directory?: string }) => ({ enableCompileCache: answer });
    expect(enableCompileCache({ HOME: '/h' }, {})).toBeUndefined();
    expect(
      enableCompileCache(
        { HOME: '/h' },
        node(() => ({ status: 0, message: 'Cannot create cache directory: not a directory' })),
      ),
    ).toBeUndefined();
    expect(
      enableCompileCache(
        { HOME: '/h' },
        node(() => ({ status: 3, message: 'Disabled by NODE_DISABLE_COMPILE_CACHE' })),
      ),
    ).toBeUndefined();
    expect(
      enableCompileCache(
        { HOME: '/h' },
        node(() => {
          throw new Error('boom');
        }),
      ),
    ).toBeUndefined();
  });

  it(`${nodeHasCompileCache ? 'fills' : 'leaves alone (no compile cache on this Node)'} the user's cache folder when thoth runs on Node ${process.version}`, async () => {
    const cache = temp();
    const result = await spawnThoth(['--help'], { env: cleanEnv({ XDG_CACHE_HOME: cache }) });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const folder = join(cache, 'thoth', 'compile-cache');
    if (nodeHasCompileCache) {
      // Node keeps one subfolder per Node version and V8 flags, holding a file per module compiled.
      const [perVersion] = readdirSync(folder);
      expect(perVersion).toMatch(new RegExp(`^${process.version}-`));
      expect(readdirSync(join(folder, perVersion)).length).toBeGreaterThan(5);
    } else {
      expect(existsSync(folder)).toBe(false);
    }
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
