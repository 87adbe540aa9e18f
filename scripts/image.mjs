#!/usr/bin/env node
/**
 * thoth's container image (the Containerfile at the repository root), built and run with podman.
 *
 *   node scripts/image.mjs base                 the Debian bases: built once per machine, printed
 *   node scripts/image.mjs build [--base debian|public] [--tag NAME]
 *                                               build the image (default tag localhost/thoth:<version>)
 *   node scripts/image.mjs save [PATH]          podman save --format oci-archive, by default to
 *                                               .cache/image/thoth-<version>.oci.tar
 *   node scripts/image.mjs run [--network N] [--volume NAME] [--] [thoth args...]
 *                                               run the image as deploy/investigator/deployment.yaml's
 *                                               securityContext says (read-only root, user 65532, no
 *                                               capabilities, no privilege escalation, its limits), the
 *                                               cache on a tmpfs like the Deployment's emptyDir, or on
 *                                               the named volume NAME; network none unless --network
 *   node scripts/image.mjs podman ARGS...       podman with this project's configuration
 *
 * Bases. `--base public` builds on the Containerfile's defaults, public Node 24 images pulled from
 * whatever registries podman is configured with. `--base debian` (the default) needs no container
 * registry, only a Debian mirror: the runtime base is a Debian trixie tree (Node 20.19) with only
 * nodejs and ca-certificates, made by mmdebstrap and turned into an image by `podman import`; the
 * build base is that image with npm, python3, make and g++ installed by apt-get (measured: about
 * half the time of a second mmdebstrap tree with them, which fetches and unpacks nodejs again).
 * Each is named after a hash of what went into it (suite, variant, packages, dpkg options), so a
 * change makes a new one; the runtime tarball stays in .cache/image/ and both images in podman's
 * storage, so they are made once per machine (a fresh clone finds them in podman's storage).
 *
 * podman's configuration: runc as the runtime, and ulimits within this machine's hard limits
 * (podman's default of 1048576 open files is above what these VMs allow a process, and runc then
 * fails with "error setting rlimit type 7"). It is a generated file under .cache/image/ that podman
 * reads through CONTAINERS_CONF; the machine's /etc/containers stays untouched. A CONTAINERS_CONF
 * already set in the environment is used as it is.
 *
 * npm inside the build uses the registry that `npm config get registry` names here (passed as the
 * build secret "npmrc") and this machine's CA bundle (build secret "ca", for registries reached
 * through a TLS-inspecting proxy): secrets are mounted only while `npm ci` runs, never copied into
 * a layer.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE = join(REPO, '.cache', 'image');
export const VERSION = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version;
/** What podman calls an image built with `-t thoth:<version>`; deploy/investigator/deployment.yaml names it. */
export const IMAGE = `localhost/thoth:${VERSION}`;
export const DEPLOYMENT = join(REPO, 'deploy', 'investigator', 'deployment.yaml');

const SUITE = 'trixie';
const VARIANT = 'apt';
/** Documentation and translations are of no use in an image. */
const DPKG_OPTIONS = ['path-exclude=/usr/share/doc/*', 'path-include=/usr/share/doc/*/copyright', 'path-exclude=/usr/share/man/*', 'path-exclude=/usr/share/locale/*', 'path-exclude=/usr/share/info/*'];
export const BASES = {
  runtime: ['ca-certificates', 'nodejs'],
  /** Added to the runtime base; npm brings node-gyp and the Node.js headers (libnode-dev). */
  build: ['g++', 'make', 'npm', 'python3'],
};
/** An imported tree has no configuration at all; give it the usual PATH (Kubernetes runtimes do not add one). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const say = (text) => process.stderr.write(`image: ${text}\n`);

/** The environment podman runs with: CONTAINERS_CONF pointing at this project's configuration. */
export function podmanEnv(env = process.env) {
  if (env.CONTAINERS_CONF) return env;
  return { ...env, CONTAINERS_CONF: writeContainersConf() };
}

/** Hard limits of this process (what runc may set inside a container), from /proc/self/limits. */
function hardLimit(name, cap) {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? cap : Math.min(Number(hard), cap);
}

function writeContainersConf() {
  const nofile = hardLimit('Max open files', 1_048_576);
  const nproc = hardLimit('Max processes', 32_768);
  const file = join(CACHE, 'containers.conf');
  const text = `# Generated by scripts/image.mjs; podman reads it through CONTAINERS_CONF (nothing in /etc is changed).
[containers]
# Within this machine's hard limits (podman's default nofile is 1048576, which runc cannot set here).
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
`;
  mkdirSync(CACHE, { recursive: true });
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
  return file;
}

/** Runs podman and returns what it printed; throws with its stderr when it fails. */
export function podman(args, { env = process.env, input, allowFailure = false } = {}) {
  const result = spawnSync('podman', args, { env: podmanEnv(env), input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`cannot run podman (${result.error.message}): install it with apt-get install podman runc, or run bash .ci/run`);
  if (result.status !== 0 && !allowFailure) throw new Error(`podman ${args.join(' ')} failed with exit ${result.status}:\n${result.stderr.trim()}`);
  return result;
}

/**
 * Runs a command with its output on our stderr (progress: stdout carries only results, such as
 * the image name `build` prints), or on our own stdio with `interactive`; resolves with its exit code.
 */
function stream(command, args, env, { interactive = false } = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: interactive ? 'inherit' : ['ignore', process.stderr, process.stderr], env });
    child.once('error', (error) => reject(new Error(`cannot run ${command}: ${error.message}`)));
    child.once('exit', (code, signal) => resolveRun(code ?? (signal ? 128 : 1)));
  });
}

function imageExists(name) {
  return podman(['image', 'exists', name], { allowFailure: true }).status === 0;
}

/** The name of a base: its role and a hash of everything that went into it, so a change makes a new one. */
export function baseName(role) {
  const runtime = { suite: SUITE, variant: VARIANT, packages: [...BASES.runtime].sort(), dpkg: DPKG_OPTIONS };
  const recipe = role === 'runtime' ? runtime : { from: runtime, packages: [...BASES.build].sort() };
  const key = createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 12);
  return { image: `localhost/thoth-base-${role}:${SUITE}-${key}`, tarball: join(CACHE, `base-${role}-${SUITE}-${key}.tar`) };
}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(0)} s`;

/** The runtime base: imported from its tarball, made with mmdebstrap first when there is none. */
async function ensureRuntimeBase() {
  const { image, tarball } = baseName('runtime');
  if (imageExists(image)) return image;
  if (!existsSync(tarball)) {
    const started = Date.now();
    const partial = `${tarball}.${process.pid}.partial`;
    mkdirSync(CACHE, { recursive: true });
    say(`making the runtime base with mmdebstrap (${SUITE}: ${BASES.runtime.join(', ')})`);
    const args = [`--variant=${VARIANT}`, '--format=tar', `--include=${BASES.runtime.join(',')}`, ...DPKG_OPTIONS.map((o) => `--dpkgopt=${o}`), '--quiet', SUITE, partial];
    const code = await stream('mmdebstrap', args, process.env).catch((error) => {
      throw new Error(`${error.message}: install it with apt-get install mmdebstrap, or run bash .ci/run`);
    });
    if (code !== 0) {
      rmSync(partial, { force: true });
      throw new Error(`mmdebstrap failed with exit ${code}`);
    }
    renameSync(partial, tarball);
    say(`runtime base: ${(statSync(tarball).size / 1e6).toFixed(0)} MB in ${seconds(started)}`);
  }
  podman(['import', '--quiet', '--change', `ENV PATH=${DEFAULT_PATH}`, '--message', `mmdebstrap --variant=${VARIANT} ${SUITE}: ${BASES.runtime.join(' ')}`, tarball, image]);
  say(`imported ${image}`);
  return image;
}

/** The build base: the runtime base plus the build tools, from the same Debian suite through apt-get. */
async function ensureBuildBase(runtime) {
  const { image } = baseName('build');
  if (imageExists(image)) return image;
  const started = Date.now();
  // A folder of its own as the build context: .cache/image/ holds the tarballs.
  const context = join(CACHE, 'base-build');
  const containerfile = join(context, 'Containerfile');
  mkdirSync(context, { recursive: true });
  writeFileSync(
    containerfile,
    `FROM ${runtime}
RUN apt-get update -qq \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${BASES.build.join(' ')} >/dev/null \\
    && rm -rf /var/lib/apt/lists/*
`,
  );
  say(`making the build base (${runtime} + ${BASES.build.join(', ')})`);
  const code = await stream('podman', ['build', '--pull=never', '--layers=false', '--file', containerfile, '--tag', image, context], podmanEnv());
  if (code !== 0) throw new Error(`podman build of the build base failed with exit ${code}`);
  say(`build base ${image} in ${seconds(started)}`);
  return image;
}

export async function ensureBases() {
  const runtime = await ensureRuntimeBase();
  return { runtime, build: await ensureBuildBase(runtime) };
}

/** The npm registry this machine's npm uses, as an npmrc for the build secret "npmrc". */
function npmrcSecret() {
  const registry = spawnSync('npm', ['config', 'get', 'registry'], { cwd: REPO, encoding: 'utf8' }).stdout?.trim();
  if (!registry) throw new Error('cannot read npm\'s registry (npm config get registry printed nothing): is npm installed?');
  const file = join(CACHE, 'npmrc');
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(file, `registry=${registry}\n`, { mode: 0o600 });
  return file;
}

/** npm's own cafile when it has one, else the system's CA bundle. */
function caBundle() {
  const cafile = spawnSync('npm', ['config', 'get', 'cafile'], { cwd: REPO, encoding: 'utf8' }).stdout?.trim();
  const candidates = [cafile, '/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];
  return candidates.find((f) => f && f !== 'null' && f !== 'undefined' && existsSync(f));
}

function revision() {
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' });
  return head.status === 0 ? head.stdout.trim() : 'unknown';
}

export async function buildImage({ base = 'debian', tag = IMAGE } = {}) {
  const args = ['build', '--layers', '--file', join(REPO, 'Containerfile'), '--tag', tag, '--build-arg', `VERSION=${VERSION}`, '--build-arg', `REVISION=${revision()}`];
  if (base === 'debian') {
    const bases = await ensureBases();
    args.push('--pull=never', '--build-arg', `BUILD_BASE=${bases.build}`, '--build-arg', `RUNTIME_BASE=${bases.runtime}`);
  } else if (base !== 'public') {
    throw new Error(`--base ${base}: expected debian or public`);
  }
  args.push('--secret', `id=npmrc,src=${npmrcSecret()}`);
  const ca = caBundle();
  if (ca) args.push('--secret', `id=ca,src=${ca}`);
  args.push(REPO);
  const started = Date.now();
  const code = await stream('podman', args, podmanEnv());
  if (code !== 0) throw new Error(`podman build failed with exit ${code}`);
  say(`built ${tag} in ${seconds(started)}`);
  return tag;
}

export function saveImage({ image = IMAGE, path = join(CACHE, `thoth-${VERSION}.oci.tar`) } = {}) {
  const target = resolve(path);
  mkdirSync(dirname(target), { recursive: true });
  rmSync(target, { force: true });
  podman(['save', '--quiet', '--format', 'oci-archive', '--output', target, image]);
  return target;
}

/** Kubernetes quantities as podman wants them: memory "512Mi" -> "512m", cpu "500m" -> "0.5". */
function memoryFlag(quantity) {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(quantity));
  if (!match) throw new Error(`memory limit ${quantity}: only Ki, Mi and Gi are translated`);
  return `${match[1]}${{ Ki: 'k', Mi: 'm', Gi: 'g' }[match[2]] ?? 'b'}`;
}
function cpuFlag(quantity) {
  const text = String(quantity);
  return text.endsWith('m') ? String(Number(text.slice(0, -1)) / 1000) : text;
}

/**
 * podman run flags for the investigator container as deploy/investigator/deployment.yaml describes
 * it: the pod's and the container's securityContext, its limits, its plain env values (and
 * POD_NAMESPACE as the downward API would give it), its volumes (an emptyDir becomes a tmpfs, or
 * the named volume `volume` for the cache). No writable /tmp: Kubernetes gives none with
 * readOnlyRootFilesystem, unlike podman's --read-only on its own.
 *
 * @param {{ volume?: string, namespace?: string, deployment?: string }} [options]
 */
export function deploymentRunFlags({ volume, namespace = 'thoth', deployment = DEPLOYMENT } = {}) {
  const pod = parseYaml(readFileSync(deployment, 'utf8')).spec.template.spec;
  const container = pod.containers[0];
  const security = { ...pod.securityContext, ...container.securityContext };
  const flags = [];
  if (security.runAsNonRoot && !security.runAsUser) throw new Error('runAsNonRoot without a numeric runAsUser: Kubernetes would not start this pod');
  if (security.runAsUser !== undefined) flags.push('--user', security.runAsGroup !== undefined ? `${security.runAsUser}:${security.runAsGroup}` : String(security.runAsUser));
  if (security.fsGroup !== undefined) flags.push('--group-add', String(security.fsGroup));
  if (security.readOnlyRootFilesystem) flags.push('--read-only', '--read-only-tmpfs=false');
  for (const cap of security.capabilities?.drop ?? []) flags.push(`--cap-drop=${cap}`);
  for (const cap of security.capabilities?.add ?? []) flags.push(`--cap-add=${cap}`);
  if (security.allowPrivilegeEscalation === false) flags.push('--security-opt', 'no-new-privileges');
  if (container.resources?.limits?.memory) flags.push('--memory', memoryFlag(container.resources.limits.memory));
  if (container.resources?.limits?.cpu) flags.push('--cpus', cpuFlag(container.resources.limits.cpu));
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) flags.push('--env', `${variable.name}=${variable.value}`);
    else if (variable.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') flags.push('--env', `${variable.name}=${namespace}`);
  }
  for (const mount of container.volumeMounts ?? []) {
    const source = pod.volumes.find((v) => v.name === mount.name);
    if (volume && mount.name === 'cache') flags.push('--volume', `${volume}:${mount.mountPath}`);
    // An emptyDir is a fresh directory the pod's user can write (fsGroup makes it group-owned); podman
    // gives a tmpfs the image directory's mode and root as owner, so `U` hands it to the --user.
    else if (source?.emptyDir) flags.push('--tmpfs', `${mount.mountPath}:rw,nosuid,nodev,U${source.emptyDir.sizeLimit ? `,size=${memoryFlag(source.emptyDir.sizeLimit)}` : ''}`);
    else throw new Error(`volume ${mount.name}: only emptyDir volumes are translated to podman`);
  }
  return flags;
}

function parseRunArgs(argv) {
  const options = { network: 'none', volume: undefined, rest: [] };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--') {
      options.rest.push(...argv.slice(i + 1));
      break;
    } else if (argv[i] === '--network') options.network = argv[++i];
    else if (argv[i] === '--volume') options.volume = argv[++i];
    else {
      options.rest.push(...argv.slice(i));
      break;
    }
  }
  return options;
}

function option(argv, name, fallback) {
  const at = argv.indexOf(name);
  return at >= 0 && argv[at + 1] ? argv[at + 1] : fallback;
}

async function main([command, ...argv]) {
  switch (command) {
    case 'base': {
      const bases = await ensureBases();
      process.stdout.write(`RUNTIME_BASE=${bases.runtime}\nBUILD_BASE=${bases.build}\n`);
      return 0;
    }
    case 'build':
      process.stdout.write(`${await buildImage({ base: option(argv, '--base', 'debian'), tag: option(argv, '--tag', IMAGE) })}\n`);
      return 0;
    case 'save':
      process.stdout.write(`${saveImage({ path: argv[0] })}\n`);
      return 0;
    case 'run': {
      const { network, volume, rest } = parseRunArgs(argv);
      const args = ['run', '--rm', '--interactive', ...(process.stdin.isTTY ? ['--tty'] : []), `--network=${network}`, ...deploymentRunFlags({ volume }), IMAGE, ...rest];
      return stream('podman', args, podmanEnv(), { interactive: true });
    }
    case 'podman':
      return stream('podman', argv, podmanEnv(), { interactive: true });
    default:
      process.stderr.write('usage: node scripts/image.mjs base | build [--base debian|public] [--tag NAME] | save [PATH] | run [--network N] [--volume NAME] [--] [ARGS...] | podman ARGS...\n');
      return 2;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      say(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
