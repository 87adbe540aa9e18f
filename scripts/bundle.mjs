#!/usr/bin/env node
/**
 * The second step of `npm run build`: after tsc has written dist/ (dist/src/ stays, for the tests
 * and benches that import its modules), thoth is bundled again into dist/bin/, CommonJS:
 *
 * - dist/bin/thoth.js, the file `thoth` runs: `--version` and `--help` alone are answered from it
 *   (and thoth-help.txt); every other command line requires
 * - dist/bin/chunks/run.js: the rest of thoth, commander, chalk, the PEP 440 parser, jsonc-parser
 *   and better-sqlite3's JavaScript, in one file. What a command imports lazily (each subcommand,
 *   the store, the settings) is still run only when it is first imported.
 * - dist/bin/chunks/run-query.js: the same for `thoth query` alone (OWN_BUNDLE below), required
 *   instead of run.js when the command line names `query`.
 *
 * Why: start-up is spent loading and compiling modules (BENCHMARKS.md, Start-up). Node 20's ES
 * module loader reads each file through its thread pool: `thoth query stats` took 34 chunks and 16
 * files of better-sqlite3 that way, and those hand-offs cost more than the work. A CommonJS file is
 * read synchronously; one file is compiled in one go, and the code V8 compiled for it is cached
 * (requireBundled, src/cli/startup.ts).
 *
 * - dist/bin/chunks/kafka.js: kafkajs and kafkajs-snappy's JavaScript, required with its compiled
 *   code cached (requireBundled) the first time the Kafka transport loads, and never by commands
 *   that do not reach Kafka; two of kafkajs' flaws are mended in this copy (below).
 *
 * What stays in node_modules, loaded when (and only when) the code that needs it runs: the native
 * addons (lz4-napi and @mongodb-js/zstd among them), @kubernetes/client-node, ink and react, and
 * yaml. The ES-only ones (ink, the Kubernetes client) are imported with import(), never required.
 * node_modules is still needed at run time.
 *
 * Then dist/bin/thoth-help.txt: `thoth --help` as commander prints it to a pipe, which bin/thoth.ts
 * prints without loading commander where commander would print the same.
 *
 *   node scripts/bundle.mjs          (run by npm run build, after tsc)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));

/** Pure JavaScript (better-sqlite3's addon apart), on the paths of the commands whose start-up counts, and imported statically only. */
const BUNDLED = ['@commander-js/extra-typings', 'commander', 'chalk', '@renovatebot/pep440', 'jsonc-parser', 'better-sqlite3'];
// bindings: better-sqlite3's lookup of its addon, required from its own folder when used (src/store/sqlite.ts).
const external = [...Object.keys(pkg.dependencies).filter((name) => !BUNDLED.includes(name)), 'bindings'];

const BIN = join(REPO, 'dist', 'bin');
// The top-level help as commander renders it (below): gone first, so that the new build renders it.
const HELP = join(BIN, 'thoth-help.txt');
rmSync(HELP, { force: true });

/**
 * commander requires node:child_process when it loads, for the executable subcommands thoth does
 * not have: Node then loads child_process, net and dgram on every start. It is required when
 * commander would spawn instead.
 */
const commanderSpawnsLazily = {
  name: 'commander-spawns-lazily',
  setup(on) {
    on.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, ({ path }) => {
      const eager = "const childProcess = require('node:child_process');";
      const source = readFileSync(path, 'utf8');
      if (!source.includes(eager)) throw new Error(`${path}: no \`${eager}\` to make lazy (a new commander?)`);
      const lazy = "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};
/**
 * chalk works out, when it loads, how many colours its default instances (`chalk`, `chalkStderr`)
 * may use: it asks node:tty, which loads Node's net and stream modules, on every command that
 * prints a table. thoth never uses those instances: every Chalk of thoth's is made with its level
 * (`new Chalk({ level })`; eslint refuses the others). In the bundle they have no colours, and
 * node:tty is not loaded. (ink, left in node_modules, loads chalk from there, as it is.)
 */
const chalkDetectsNothing = {
  name: 'chalk-detects-nothing',
  setup(on) {
    on.onLoad({ filter: /[\\/]chalk[\\/]source[\\/]vendor[\\/]supports-color[\\/]index\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      const eager =
        /\nconst supportsColor = \{\n\tstdout: createSupportsColor\(\{isTTY: tty\.isatty\(1\)\}\),\n\tstderr: createSupportsColor\(\{isTTY: tty\.isatty\(2\)\}\),\n\};\n/;
      const ttyImport = "import tty from 'node:tty';";
      if (!eager.test(source) || !source.includes(ttyImport)) throw new Error(`${path}: not the detection to leave out (a new chalk?)`);
      const contents = source
        .replace(ttyImport, "const tty = { isatty: (fd) => require('node:tty').isatty(fd) };")
        .replace(eager, '\nconst supportsColor = { stdout: false, stderr: false };\n');
      return { contents, loader: 'js' };
    });
  },
};
// Earlier builds' chunks (ES module chunks, named by a hash of their content, before) would pile up.
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
  // Half the bytes to read and compile on every start; names kept (an error's name, a class's),
  // and a stack trace maps back to src/ under node --enable-source-maps, as tsc's output does.
  minify: true,
  keepNames: true,
  sourcemap: true,
  legalComments: 'none',
  plugins: [commanderSpawnsLazily, chalkDetectsNothing],
  logLevel: 'warning',
};
// kafkajs (some 90 CommonJS files: resolving, reading and compiling them was a tenth of a `thoth tail`
// of 20,000 messages) and kafkajs-snappy's JavaScript, in a chunk of their own, required when the
// Kafka transport first loads and with its compiled code cached as run.js's is (requireBundled):
// commands that never reach Kafka do not read it. lz4-napi and @mongodb-js/zstd are native addons
// and stay in node_modules, loaded on the first batch of their codec (src/transport/kafka/codecs.ts).
const KAFKA_BUNDLED = ['kafkajs', 'kafkajs-snappy'];
/**
 * kafkajs 2.2.4, its last release, arms its request queue's check with `throttledUntil - Date.now()`
 * while throttledUntil is still -1: a negative delay, which Node takes as 1 ms and Node >= 23 also
 * reports as a TimeoutNegativeWarning. In the chunk the delay is never below zero (what Node does
 * with it anyway); dropKafkajsNegativeTimeoutWarning (src/cli/startup.ts) covers kafkajs loaded
 * from node_modules.
 */
const kafkajsTimerNotNegative = {
  name: 'kafkajs-timer-not-negative',
  setup(on) {
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]network[\\/]requestQueue[\\/]index\.js$/ }, ({ path }) => {
      const armed = '}, scheduleAt)';
      const source = readFileSync(path, 'utf8');
      if (source.split(armed).length !== 2) throw new Error(`${path}: not one \`${armed}\` to clamp (a new kafkajs?)`);
      return { contents: source.replace(armed, '}, Math.max(0, scheduleAt))'), loader: 'js' };
    });
  },
};
/**
 * kafkajs groups a batch's messages by partition copying each partition's list again for every
 * message (`[...current, message]`): quadratic, a sixth of `thoth replay`'s time with its batches of
 * 2,000. In the chunk they are appended, to the same lists in the same order.
 */
const kafkajsGroupsLinearly = {
  name: 'kafkajs-groups-linearly',
  setup(on) {
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]producer[\\/]groupMessagesPerPartition\.js$/ }, ({ path }) => {
      const quadratic = `    const current = result[partition] || []
    return Object.assign(result, { [partition]: [...current, message] })`;
      const source = readFileSync(path, 'utf8');
      if (!source.includes(quadratic)) throw new Error(`${path}: no quadratic grouping to replace (a new kafkajs?)`);
      const linear = `    ;(result[partition] || (result[partition] = [])).push(message)
    return result`;
      return { contents: source.replace(quadratic, linear), loader: 'js' };
    });
  },
};
/**
 * kafkajs reads each consumed record's offset and timestamp with 64-bit BigInt arithmetic, parsing
 * the batch's base offset and timestamp from text again for every record, and filters a batch by
 * offset the same way. In the chunk, values that are safe integers (every offset and millisecond
 * timestamp there is) are added and compared as numbers, giving the same text; anything else goes
 * the BigInt way as before.
 */
const kafkajsOffsetsAsNumbers = {
  name: 'kafkajs-offsets-as-numbers',
  setup(on) {
    const patch = (path, pairs) => {
      let source = readFileSync(path, 'utf8');
      for (const [from, to] of pairs) {
        if (source.split(from).length !== 2) throw new Error(`${path}: not one \`${from}\` to replace (a new kafkajs?)`);
        source = source.replace(from, to);
      }
      return { contents: source, loader: 'js' };
    };
    const sum = `const safeSum = (text, delta) => {
  const base = Number(text)
  const small = typeof delta === 'number' ? delta : Long.isLong(delta) && delta.value >= -9007199254740991n && delta.value <= 9007199254740991n ? Number(delta.value) : NaN
  const total = base + small
  return Number.isSafeInteger(base) && Number.isSafeInteger(small) && Number.isSafeInteger(total) ? String(total) : Long.fromValue(text).add(delta).toString()
}
module.exports =`;
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]protocol[\\/]recordBatch[\\/]record[\\/]v0[\\/]decoder\.js$/ }, ({ path }) =>
      patch(path, [
        ['module.exports =', sum],
        [
          `Long.fromValue(firstTimestamp)
          .add(timestampDelta)
          .toString()`,
          'safeSum(firstTimestamp, timestampDelta)',
        ],
        [
          `Long.fromValue(firstOffset)
    .add(offsetDelta)
    .toString()`,
          'safeSum(firstOffset, offsetDelta)',
        ],
      ]),
    );
    on.onLoad({ filter: /[\\/]kafkajs[\\/]src[\\/]consumer[\\/]batch\.js$/ }, ({ path }) =>
      patch(path, [
        [
          `this.messagesWithinOffset = this.rawMessages.filter(message =>
      Long.fromValue(message.offset).gte(longFetchedOffset)
    )`,
          `const fetchedNumber = Number(this.fetchedOffset)
    this.messagesWithinOffset = this.rawMessages.filter(message => {
      const offset = Number(message.offset)
      return Number.isSafeInteger(offset) && Number.isSafeInteger(fetchedNumber)
        ? offset >= fetchedNumber
        : Long.fromValue(message.offset).gte(longFetchedOffset)
    })`,
        ],
      ]),
    );
  },
};
const KAFKA = join(BIN, 'chunks', 'kafka.js');
await build({
  ...common,
  // Nothing here reads import.meta.url, and kafkajs' own names matter only as its errors carry them.
  define: {},
  banner: { js: "'use strict';" },
  external: external.filter((name) => !KAFKA_BUNDLED.includes(name)),
  stdin: {
    contents: KAFKA_BUNDLED.map((name) => `exports[${JSON.stringify(name)}] = require(${JSON.stringify(name)});`).join('\n'),
    resolveDir: REPO,
    sourcefile: 'kafka-chunk.js',
  },
  outfile: KAFKA,
  plugins: [kafkajsTimerNotNegative, kafkajsGroupsLinearly, kafkajsOffsetsAsNumbers],
});
const kafkaKey = createHash('sha256').update(readFileSync(KAFKA)).digest('hex').slice(0, 16);
/** In run.js, kafkajs and kafkajs-snappy are the kafka chunk's, required (once) when first needed. */
const kafkaChunk = {
  name: 'kafka-chunk',
  setup(on) {
    on.onResolve({ filter: new RegExp(`^(${KAFKA_BUNDLED.join('|')})$`) }, ({ path }) => ({ path, namespace: 'kafka-chunk' }));
    on.onLoad({ filter: /.*/, namespace: 'kafka-chunk' }, ({ path }) => ({
      contents: `const { requireBundled } = require(${JSON.stringify(join(REPO, 'src', 'cli', 'startup.ts'))});
module.exports = requireBundled(require('node:path').join(__dirname, 'kafka.js'), ${JSON.stringify(kafkaKey)}, process.env)[${JSON.stringify(path)}];`,
      loader: 'js',
      resolveDir: REPO,
    }));
  },
};

// Everything but the entry, in one file: what a command imports lazily (each subcommand, the store,
// the settings) is still evaluated only when it is first imported, but read and compiled with the
// rest. Its import() of the ES modules of node_modules (ink, the Kubernetes client, ...) goes
// through `importModule` where the entry gives it one (src/cli/startup.ts, requireBundled: code it
// compiles cannot import() itself), else through import(): `import(` becomes `__tImp(`, of the same
// length, so that the source map still holds. kafkajs and kafkajs-snappy come from the kafka chunk.
// Returns what names the bundle's content in the name of its cached code (requireBundled).
async function bundleRun(name, plugins = []) {
  const file = join(BIN, 'chunks', `${name}.js`);
  await build({
    ...common,
    entryPoints: { [name]: 'src/cli/run.ts' },
    outdir: 'dist/bin/chunks',
    external: external.filter((dependency) => !KAFKA_BUNDLED.includes(dependency)),
    plugins: [...common.plugins, kafkaChunk, ...plugins],
    banner: {
      js: `${common.banner.js}\nconst __tImp = typeof importModule === 'function' ? importModule : (specifier) => import(specifier);`,
    },
  });
  const bundled = readFileSync(file, 'utf8');
  const banner = bundled.indexOf('const __tImp');
  const body = bundled.indexOf('\n', banner) + 1;
  const rewritten = bundled
    .slice(body)
    .replace(/\bimport\(("[^"]+")\)/g, (_, specifier) => {
      if (!external.includes(JSON.parse(specifier).replace(/^(@[^/]+\/[^/]+|[^@/][^/]*).*$/, '$1'))) {
        throw new Error(`bundle: chunks/${name}.js imports ${specifier}, which is not a package left in node_modules`);
      }
      return `__tImp(${specifier})`;
    })
    // requireBundled's own import(specifier), bundled in for the kafka chunk, goes through the entry's too.
    .replace(/\bimport\((\w+)\)/g, (_, variable) => `__tImp(${variable})`);
  if (/\bimport\(/.test(rewritten)) throw new Error(`bundle: chunks/${name}.js has an import() that is not of a package name`);
  writeFileSync(file, bundled.slice(0, body) + rewritten);
  return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
}

/**
 * Commands with a bundle of their own, and the modules of thoth's that their code imports lazily:
 * chunks/run.js holds every command (and kafkajs' adapter, the Kubernetes client's, ...), more than
 * half of it code `thoth query` never runs but would read and take from the cache of compiled code
 * on every start (BENCHMARKS.md, Start-up). Every other import() of src/ (another command, the
 * broker, the cluster) is, in such a bundle, a module that fails at once: none of the command's
 * code reaches one (test/cli/bundles.test.ts runs each of its subcommands from the bundle).
 */
const OWN_BUNDLE = {
  query: ['../commands/query.js', '../config/settings.js', '../store/index.js'],
};
const onlyWhatItImports = (command, kept) => ({
  name: 'only-what-it-imports',
  setup(on) {
    on.onResolve({ filter: /^\./ }, ({ kind, path }) =>
      kind === 'dynamic-import' && !kept.includes(path) ? { path, namespace: 'left-out' } : undefined,
    );
    on.onLoad({ filter: /.*/, namespace: 'left-out' }, ({ path }) => ({
      contents: `throw new Error(${JSON.stringify(`thoth: ${path} is not in the bundle of \`thoth ${command}\` (scripts/bundle.mjs, OWN_BUNDLE)`)});`,
      loader: 'js',
    }));
  },
});
const bundles = { '': { file: 'run.js', key: await bundleRun('run') } };
for (const [command, kept] of Object.entries(OWN_BUNDLE)) {
  bundles[command] = { file: `run-${command}.js`, key: await bundleRun(`run-${command}`, [onlyWhatItImports(command, kept)]) };
}

// The entry: --version and --help alone, else the rest: the bundle of the command the command line
// names (src/cli/command-line.ts, as the dispatch core reads it), else chunks/run.js, required by
// requireBundled.
const STARTUP = join(REPO, 'src', 'cli', 'startup.ts');
const COMMAND_LINE = join(REPO, 'src', 'cli', 'command-line.ts');
await build({
  ...common,
  entryPoints: { thoth: 'bin/thoth.ts' },
  outdir: 'dist/bin',
  plugins: [
    ...common.plugins,
    {
      name: 'run-chunk',
      setup(on) {
        on.onResolve({ filter: /\/cli\/run\.js$/ }, () => ({ path: 'run-chunk', namespace: 'run-chunk' }));
        on.onLoad({ filter: /.*/, namespace: 'run-chunk' }, () => ({
          contents: `const { requireBundled } = require(${JSON.stringify(STARTUP)});
const { invokedCommandName } = require(${JSON.stringify(COMMAND_LINE)});
const bundles = ${JSON.stringify(bundles)};
const named = invokedCommandName(process.argv.slice(2));
const { file, key } = bundles[named !== '' && Object.hasOwn(bundles, named) ? named : ''];
module.exports = requireBundled(require('node:path').join(__dirname, 'chunks', file), key, process.env);`,
          loader: 'js',
          resolveDir: REPO,
        }));
      },
    },
  ],
});
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
