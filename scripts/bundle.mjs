#!/usr/bin/env node
/**
 * The second step of `npm run build`: after tsc has written dist/ (dist/src/ stays, for the tests
 * and benches that import its modules), bin/thoth.ts is bundled again into dist/bin/thoth.js, the
 * file `thoth` runs, with its lazily loaded parts as chunks in dist/bin/chunks/.
 *
 * Why: start-up is spent loading modules (BENCHMARKS.md, Start-up). Unbundled, `thoth query stats`
 * resolves and reads some 170 files; bundled, about 50 (34 chunks, better-sqlite3's 16 files). What each command loads lazily (every
 * subcommand, the store, the settings) stays lazy: each `import()` of thoth's own code is a chunk.
 *
 * What is bundled: thoth's own code and the small pure-JavaScript packages of BUNDLED. Every other
 * dependency stays an import of node_modules, loaded when (and only when) the code that needs it
 * runs: better-sqlite3 and the other native addons, and the heavy ones that only some commands
 * load (kafkajs, @kubernetes/client-node, ink and react), and yaml: it is CommonJS, and a bundled
 * CommonJS package loaded with `import()` (src/ui/table.ts) would come back with a default export
 * only. node_modules is still needed at run time.
 *
 * Then dist/bin/thoth-help.txt: `thoth --help` as commander prints it to a pipe, which bin/thoth.ts
 * prints without loading commander where commander would print the same.
 *
 *   node scripts/bundle.mjs          (run by npm run build, after tsc)
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));

/** Pure JavaScript, small, on the paths of the commands whose start-up counts, and imported statically only. */
const BUNDLED = ['@commander-js/extra-typings', 'commander', 'chalk', '@renovatebot/pep440', 'jsonc-parser', 'better-sqlite3'];
// bindings: better-sqlite3's lookup of its addon, required from its own folder when used (src/store/sqlite.ts).
const external = [...Object.keys(pkg.dependencies).filter((name) => !BUNDLED.includes(name)), 'bindings'];

const BIN = join(REPO, 'dist', 'bin');
// The top-level help as commander renders it (below): gone first, so that the new build renders it.
const HELP = join(BIN, 'thoth-help.txt');
rmSync(HELP, { force: true });

// Earlier builds' chunks (ES module chunks named by a hash of their content) would pile up.
rmSync(join(BIN, 'chunks'), { recursive: true, force: true });
mkdirSync(BIN, { recursive: true });
// dist/bin is CommonJS whatever the package's type: its files are required, synchronously.
writeFileSync(join(BIN, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
const common = {
  absWorkingDir: REPO,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // ES module builds first: jsonc-parser's CommonJS build loads its parts by computed names.
  mainFields: ['module', 'main'],
  external,
  // The few modules that find files from where they are (package.json, the rendered help).
  define: { 'import.meta.url': '__thothModuleUrl' },
  banner: { js: "'use strict';\nconst __thothModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // As tsc's output has: a stack trace maps back to src/ under node --enable-source-maps.
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
};
// The entry: --version and --help alone, else the rest, required from chunks/run.js.
await build({
  ...common,
  entryPoints: { thoth: 'bin/thoth.ts' },
  outdir: 'dist/bin',
  plugins: [
    {
      name: 'run-chunk',
      setup(on) {
        on.onResolve({ filter: /\/cli\/run\.js$/ }, () => ({ path: './chunks/run.js', external: true }));
      },
    },
  ],
  // Its import() of chunks/run.js becomes a require.
  supported: { 'dynamic-import': false },
});
// Everything else, in one file: what a command imports lazily (each subcommand, the store, the
// settings) is still evaluated only when it is first imported, but read and compiled with the rest.
await build({ ...common, entryPoints: { run: 'src/cli/run.ts' }, outdir: 'dist/bin/chunks' });
chmodSync(join(BIN, 'thoth.js'), 0o755);

// `thoth --help` renders the same text every time for a given width: the build renders it once, as
// commander prints it to a pipe (80 columns), and bin/thoth.ts prints this file where commander
// would print the same (src/cli/startup.ts, prerenderedHelp), without loading commander.
const rendered = spawnSync(process.execPath, [join(BIN, 'thoth.js'), '--help'], {
  encoding: 'utf8',
  env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' },
});
if (rendered.status !== 0 || rendered.stderr !== '' || !rendered.stdout.startsWith('Usage: thoth')) {
  process.stderr.write(`bundle: thoth --help failed (exit ${rendered.status}):\n${rendered.stderr}`);
  process.exit(1);
}
writeFileSync(HELP, rendered.stdout);
