/**
 * The Node.js versions the suite runs on, and where each comes from.
 *
 * The machine's own node serves its major line. Any other line comes from the npm package
 * `node-<platform>-<arch>` of that exact version: the official build, with `bin/node` and the
 * headers a native addon compiles against (`include/node`, so `--nodedir=<its folder>` needs no
 * download). It is fetched with `npm pack` (the registry npm is configured with, checked against
 * the integrity pinned below), unpacked into the cache once per version and kept there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * One version per major line, with the integrity npm reports for its linux-x64 package: a new
 * patch release is a deliberate change here (and a new cache folder), never a surprise in CI.
 */
export const PINNED = {
  20: { version: '20.20.2', integrity: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==' },
  22: { version: '22.23.5', integrity: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==' },
  24: { version: '24.22.3', integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' },
};

/** The lines CI tests (`node scripts/node-versions.mjs test` with no version). */
export const TESTED_MAJORS = Object.keys(PINNED).map(Number);

const say = (text) => process.stderr.write(`node-versions: ${text}\n`);

export function cacheDir(env = process.env) {
  return resolve(env.THOTH_NODE_CACHE || join(REPO, '.cache', 'node'));
}

const majorOf = (version) => Number(version.replace(/^v/, '').split('.')[0]);

/**
 * What a version argument means: `24` is the pinned 24 (or the machine's node when that is a
 * 24), `24.22.1` exactly that release. Returns { version, integrity?, machine }.
 */
export function resolveSpec(spec, machineVersion = process.version) {
  const text = String(spec).replace(/^v/, '');
  if (/^\d+$/.test(text)) {
    const major = Number(text);
    if (majorOf(machineVersion) === major) return { version: machineVersion.replace(/^v/, ''), machine: true };
    const pinned = PINNED[major];
    if (!pinned) throw new Error(`no pinned Node ${major} (pinned: ${TESTED_MAJORS.join(', ')}); give an exact version such as ${major}.0.0`);
    return { ...pinned, machine: false };
  }
  if (/^\d+\.\d+\.\d+$/.test(text)) return { version: text, machine: `v${text}` === machineVersion };
  throw new Error(`"${spec}" is not a Node.js version: write a major (22) or a release (22.23.5)`);
}

/** The npm package holding this platform's Node.js build. */
export const nodePackage = (platform = process.platform, arch = process.arch) => `node-${platform}-${arch}`;

/** Where a node lives: { version, bin (the executable), prefix (its folder, the --nodedir), machine }. */
export function nodeAt(resolved, env = process.env) {
  if (resolved.machine) return { version: resolved.version, bin: process.execPath, prefix: resolve(process.execPath, '..', '..'), machine: true };
  const prefix = join(cacheDir(env), `node-v${resolved.version}-${process.platform}-${process.arch}`);
  return { version: resolved.version, bin: join(prefix, 'bin', 'node'), prefix, machine: false };
}

function run(command, args, options) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, ...options });
  if (result.error) throw new Error(`cannot run ${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed with exit ${result.status}:\n${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

/** The node of `spec`, fetched into the cache first when it is not there yet. */
export function ensureNode(spec, env = process.env) {
  const resolved = resolveSpec(spec);
  const node = nodeAt(resolved, env);
  if (node.machine || existsSync(node.bin)) return node;
  const started = Date.now();
  const name = `${nodePackage()}@${resolved.version}`;
  mkdirSync(dirname(node.prefix), { recursive: true });
  const work = mkdtempSync(`${node.prefix}.partial-`);
  try {
    say(`fetching ${name} with npm pack`);
    const [packed] = JSON.parse(run('npm', ['pack', name, '--json', '--pack-destination', work, '--loglevel=error'], { cwd: work, env }));
    if (resolved.integrity && packed.integrity !== resolved.integrity) {
      throw new Error(`${name}: the registry's integrity ${packed.integrity} is not the pinned ${resolved.integrity}`);
    }
    run('tar', ['-xzf', join(work, packed.filename), '-C', work]);
    const unpacked = join(work, 'package');
    if (!existsSync(join(unpacked, 'include', 'node', 'node.h'))) throw new Error(`${name} has no include/node/node.h: no headers to build native modules with`);
    const reported = run(join(unpacked, 'bin', 'node'), ['--version']).trim();
    if (reported !== `v${resolved.version}`) throw new Error(`${name}'s bin/node says ${reported}`);
    // Only what running and compiling need; the rest (docs, changelog, man page) is 1 MB of no use here.
    for (const entry of readdirSync(unpacked)) if (!['bin', 'include', 'package.json', 'LICENSE'].includes(entry)) rmSync(join(unpacked, entry), { recursive: true, force: true });
    renameSync(unpacked, node.prefix);
    say(`Node ${reported} in ${node.prefix} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    return node;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
