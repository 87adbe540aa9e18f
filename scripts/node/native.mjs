/**
 * Native modules, built for one Node.js at a time.
 *
 * A native module is a package of node_modules with a binding.gyp (what npm compiles with
 * node-gyp on install): better-sqlite3 today. Its compiled addon works with the Node ABI it was
 * built for only (N-API addons excepted), and it sits in one place (build/Release/), so running
 * the suite on another Node means putting that Node's build there, and the machine's back after.
 *
 * Each build is kept in the cache, keyed by the package (name, version, lockfile integrity) and
 * the exact Node version: switching is a copy once a version has been built. A build that is not
 * cached is made with `npm rebuild <packages> --build-from-source` under that node, against its
 * own headers (`nodedir` = its folder): nothing is downloaded, neither prebuilt binaries nor headers.
 * Which files of a package are Node addons (better-sqlite3 also builds an SQLite extension) is
 * learnt once, from the files that load under the node they were built for, and kept with the build.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './fetch.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const say = (text) => process.stderr.write(`node-versions: ${text}\n`);

/** Folders inside a package that hold no addon to switch: nested packages, node-gyp's intermediates. */
const NOT_ADDONS = new Set(['node_modules', 'obj.target', '.deps']);

/** The installed packages with a binding.gyp: [{ name, version, dir, key }], from package-lock.json. */
export function nativePackages(repo = REPO) {
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8'));
  const found = [];
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (!path.startsWith('node_modules/') && !path.includes('/node_modules/')) continue;
    const dir = join(repo, path);
    if (!existsSync(join(dir, 'binding.gyp'))) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const source = createHash('sha256').update(`${entry.version}\0${entry.integrity ?? entry.resolved ?? ''}`).digest('hex').slice(0, 12);
    found.push({ name, version: entry.version, dir, key: `${name.replace('/', '+')}@${entry.version}-${source}` });
  }
  return found;
}

/** Every `.node` file of a package (relative paths), outside nested packages and node-gyp's intermediates. */
export function nodeFiles(dir, under = dir) {
  const files = [];
  for (const entry of readdirSync(under, { withFileTypes: true })) {
    const path = join(under, entry.name);
    if (entry.isDirectory() && !NOT_ADDONS.has(entry.name)) files.push(...nodeFiles(dir, path));
    else if (entry.isFile() && entry.name.endsWith('.node')) files.push(relative(dir, path));
  }
  return files.sort();
}

const PROBE = `
const results = {};
for (const file of process.argv.slice(1)) {
  try { process.dlopen({ exports: {} }, file); results[file] = 'ok'; }
  catch (error) { results[file] = String(error.message).split('\\n')[0]; }
}
process.stdout.write(JSON.stringify(results));`;

/** Loads each file as an addon in `node`: { file: 'ok' | the error's first line }. */
export function probe(node, files) {
  if (files.length === 0) return {};
  const result = spawnSync(node.bin, ['-e', PROBE, ...files], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${node.bin} could not probe the addons: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout);
}

const buildDir = (pkg, node, env) => join(cacheDir(env), 'addons', `node-v${node.version}`, pkg.key);

function readManifest(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The addons of a package, as learnt from any cached build of it (the same paths for every Node). */
function knownAddons(pkg, env) {
  const root = join(cacheDir(env), 'addons');
  if (!existsSync(root)) return undefined;
  for (const version of readdirSync(root)) {
    const manifest = readManifest(join(root, version, pkg.key));
    if (manifest) return manifest.addons;
  }
  return undefined;
}

const loadsIn = (node, pkg, addons) => Object.values(probe(node, addons.map((f) => join(pkg.dir, f)))).every((result) => result === 'ok');

/** Keeps the package's current build as `node`'s, after checking which of its files load there. */
function keep(pkg, node, env) {
  const files = nodeFiles(pkg.dir);
  const results = probe(
    node,
    files.map((f) => join(pkg.dir, f)),
  );
  const addons = files.filter((f) => results[join(pkg.dir, f)] === 'ok');
  if (addons.length === 0) return undefined;
  const target = buildDir(pkg, node, env);
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  for (const file of files) cpSync(join(pkg.dir, file), join(partial, file));
  writeFileSync(join(partial, 'manifest.json'), `${JSON.stringify({ package: `${pkg.name}@${pkg.version}`, node: node.version, files, addons }, null, 2)}\n`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  renameSync(partial, target);
  return addons;
}

/** Puts `node`'s cached build of the package in place; false when none is cached. */
function restore(pkg, node, env) {
  const dir = buildDir(pkg, node, env);
  const manifest = readManifest(dir);
  if (!manifest) return false;
  for (const file of manifest.files) {
    // A new file renamed over the old one: a process that still maps the old addon keeps its copy intact.
    const target = join(pkg.dir, file);
    const partial = `${target}.${process.pid}.partial`;
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(dir, file), partial);
    renameSync(partial, target);
  }
  return true;
}

/**
 * Holds node_modules for this process while it switches builds and runs on them: a second run in
 * the same checkout would put other builds under the first one's feet. Processes started under the
 * holder (THOTH_NODE_VERSIONS_HOLDER in their environment) share it. Returns a release function.
 */
export function holdNodeModules(env = process.env, repo = REPO) {
  if (env.THOTH_NODE_VERSIONS_HOLDER) return () => {};
  const lock = join(repo, 'node_modules', '.node-versions.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      env.THOTH_NODE_VERSIONS_HOLDER = String(process.pid);
      const release = () => rmSync(lock, { force: true });
      process.once('exit', release);
      return release;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lock, 'utf8'));
      if (holder && isAlive(holder)) throw new Error(`node_modules is in use by scripts/node-versions.mjs (pid ${holder}): wait for it, its native modules are not the machine's meanwhile`);
      rmSync(lock, { force: true });
    }
  }
  throw new Error(`cannot take ${lock}`);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** npm rebuild of these packages under `node`, against its own headers. */
function rebuild(packages, node, env) {
  const started = Date.now();
  say(`compiling ${packages.map((p) => p.name).join(', ')} for Node ${node.version} (about 2 minutes on 2 cores)`);
  const buildEnv = { ...env, PATH: [join(node.prefix, 'bin'), env.PATH ?? ''].join(delimiter), npm_config_build_from_source: 'true' };
  // The machine's node may rely on npm's own configuration for its headers; a fetched one always has them beside it.
  if (existsSync(join(node.prefix, 'include', 'node', 'node.h'))) buildEnv.npm_config_nodedir = node.prefix;
  const names = [...new Set(packages.map((p) => p.name))];
  const result = spawnSync('npm', ['rebuild', ...names, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: REPO, env: buildEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`cannot run npm: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`npm rebuild ${names.join(' ')} for Node ${node.version} failed with exit ${result.status}:\n${(result.stderr + result.stdout).trim().slice(-4000)}`);
  say(`compiled in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * Makes every native module of node_modules the build for `node`: left as it is when its addons
 * already load there, copied from the cache, or compiled (then cached). Throws unless every addon
 * then loads in `node`. `machine` is the node that npm ci built for, whose build is kept first.
 */
export function useNativeModules(node, { machine, env = process.env, repo = REPO } = {}) {
  const packages = nativePackages(repo);
  const toBuild = [];
  for (const pkg of packages) {
    // What npm ci built is the machine's node's: keep it before anything replaces it (kept only if it loads there).
    if (machine && !readManifest(buildDir(pkg, machine, env))) keep(pkg, machine, env);
    const addons = knownAddons(pkg, env);
    if (addons && loadsIn(node, pkg, addons)) continue;
    if (restore(pkg, node, env)) continue;
    toBuild.push(pkg);
  }
  if (toBuild.length) {
    rebuild(toBuild, node, env);
    for (const pkg of toBuild) {
      if (!keep(pkg, node, env)) throw new Error(`${pkg.name}: no file of the new build loads in Node ${node.version}`);
    }
  }
  const failures = [];
  for (const pkg of packages) {
    const addons = knownAddons(pkg, env) ?? [];
    const results = probe(
      node,
      addons.map((f) => join(pkg.dir, f)),
    );
    for (const [file, result] of Object.entries(results)) if (result !== 'ok') failures.push(`${relative(repo, file)}: ${result}`);
  }
  if (failures.length) throw new Error(`native modules do not load in Node ${node.version}:\n  ${failures.join('\n  ')}`);
  return { packages: packages.map((p) => `${p.name}@${p.version}`), compiled: toBuild.map((p) => p.name) };
}
