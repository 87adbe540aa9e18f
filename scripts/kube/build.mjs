/**
 * `node scripts/kube.mjs fetch`: the cluster's binaries, built from Go modules once per
 * machine and cached by version under THOTH_KUBE_CACHE (default .cache/kube):
 *
 *   kubernetes-v1.35.4/kube-apiserver, kubectl   from k8s.io/kubernetes through a wrapper module
 *   etcd-v3.6.5/etcd                             from go.etcd.io/etcd/server/v3 through a wrapper module
 *   argo-workflows-v4.0.5/workflow-controller    go install ...argo-workflows/v4/cmd/workflow-controller
 *   argo-workflows-v4.0.5/manifests/             Argo's full-schema CRDs and the controller's RBAC,
 *                                                copied from the module (never committed)
 *
 * `go install k8s.io/kubernetes/cmd/...@v1.35.4` is refused because k8s.io/kubernetes' go.mod
 * `replace`s its 31 staging modules (k8s.io/api, k8s.io/client-go, ...) with ./staging paths.
 * The wrapper module requires k8s.io/kubernetes and replaces each of those, read from the
 * downloaded go.mod, with the published module of the same name at v0.<minor>.<patch>.
 * etcd is the release kube-apiserver 1.35 is built against (its client is go.etcd.io/etcd/client/v3
 * v3.6.5). Debian 12's etcd-server (3.4.23) is too old for it: without etcd's RequestWatchProgress
 * (3.4.31+ / 3.5.13+) the API server answers every watch-list request (what Argo's controller's
 * informers send) with an error event, so the controller never syncs, and requests that need a
 * fresh watch cache wait out a 3 s timeout. Like k8s.io/kubernetes, etcd's server module `replace`s
 * its sibling modules, so `go install` refuses it too; its wrapper needs no replacements of its own.
 *
 * With empty Go caches the four builds take about 14 CPU-minutes (15 minutes' wall time measured
 * on a 2-core machine busy with other work) and leave ~6 GB of Go caches; with warm Go caches,
 * under a minute. A binary in the cache is reused as long as its version matches.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withLock } from './processes.mjs';

export const KUBE_VERSION = 'v1.35.4';
export const ARGO_VERSION = 'v4.0.5';
export const ETCD_VERSION = 'v3.6.5';
const ETCD_MODULE = 'go.etcd.io/etcd/server/v3';
const ARGO_MODULE = 'github.com/argoproj/argo-workflows/v4';
/** k8s.io/kubernetes v1.35.x declares `go 1.25.0`. */
const MIN_GO = [1, 25];
const BUILD_DATE = '2026-01-01T00:00:00Z';

const say = (text) => process.stderr.write(`kube: ${text}\n`);

export function kubeBinaries(cache) {
  const dir = join(cache, `kubernetes-${KUBE_VERSION}`);
  return { dir, apiserver: join(dir, 'kube-apiserver'), kubectl: join(dir, 'kubectl') };
}

export function etcdBinary(cache) {
  return join(cache, `etcd-${ETCD_VERSION}`, 'etcd');
}

export function argoFiles(cache) {
  const dir = join(cache, `argo-workflows-${ARGO_VERSION}`);
  return { dir, controller: join(dir, 'workflow-controller'), crds: join(dir, 'manifests', 'crds'), rbac: join(dir, 'manifests', 'rbac') };
}

/** True when every binary and manifest `start` needs is in the cache. */
export function isFetched(cache) {
  const kube = kubeBinaries(cache);
  const argo = argoFiles(cache);
  return [kube.apiserver, kube.kubectl, etcdBinary(cache), argo.controller, join(argo.dir, 'manifests', '.complete')].every((file) => existsSync(file));
}

/** Builds or copies whatever is missing; returns the cache directory. */
export async function fetchKube(cache) {
  mkdirSync(cache, { recursive: true });
  if (isFetched(cache)) return cache;
  checkGo();
  // Two checkouts sharing one cache must not build the same thing at once.
  await withLock(join(cache, '.fetch.lock'), async () => {
    const kube = kubeBinaries(cache);
    if (!existsSync(kube.apiserver) || !existsSync(kube.kubectl)) buildKubernetes(cache);
    if (!existsSync(etcdBinary(cache))) buildEtcd(cache);
    const argo = argoFiles(cache);
    if (!existsSync(join(argo.dir, 'manifests', '.complete'))) copyArgoManifests(argo);
    if (!existsSync(argo.controller)) buildController(argo);
  });
  return cache;
}

function go(args, { cwd, env = {}, what }) {
  const began = Date.now();
  const result = spawnSync('go', args, {
    cwd,
    env: { ...process.env, GOWORK: 'off', ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw new Error(`cannot run go (${what}): ${result.error.message}`);
  if (result.status !== 0) {
    const tail = `${result.stdout}${result.stderr}`.trimEnd().split('\n').slice(-30).join('\n');
    throw new Error(`${what} failed (go ${args[0]} exit ${result.status}):\n${tail}`);
  }
  return { stdout: result.stdout, seconds: (Date.now() - began) / 1000 };
}

function checkGo() {
  const result = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (result.error) throw new Error(`building the test cluster needs Go ${MIN_GO.join('.')} or newer on PATH: ${result.error.message}`);
  const [major, minor] = (/go(\d+)\.(\d+)/.exec(result.stdout) ?? []).slice(1).map(Number);
  if (!(major > MIN_GO[0] || (major === MIN_GO[0] && minor >= MIN_GO[1]))) {
    throw new Error(`building kube-apiserver ${KUBE_VERSION} needs Go ${MIN_GO.join('.')} or newer; found ${result.stdout.trim() || 'an unknown version'}`);
  }
}

/** `go mod download -json module@version`: where the module's files and go.mod landed in the module cache. */
function download(moduleAtVersion) {
  return JSON.parse(go(['mod', 'download', '-json', moduleAtVersion], { what: `downloading ${moduleAtVersion}` }).stdout);
}

/** The module paths k8s.io/kubernetes' go.mod replaces with `./staging/...` directories. */
export function stagingModules(goMod) {
  return [...goMod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\/\S+\s*$/gm)].map((m) => m[1]).sort();
}

/** The wrapper go.mod: requires k8s.io/kubernetes, pins each staging module to v0.<minor>.<patch>. */
export function wrapperGoMod(modules, version = KUBE_VERSION) {
  const staging = version.replace(/^v1\./, 'v0.');
  return [
    'module thoth.local/kube-build',
    '',
    // The same language version and GODEBUG defaults k8s.io/kubernetes is built with.
    'go 1.25.0',
    '',
    'godebug default=go1.25',
    '',
    `require k8s.io/kubernetes ${version}`,
    '',
    'replace (',
    ...modules.map((m) => `\t${m} => ${m} ${staging}`),
    ')',
    '',
  ].join('\n');
}

function versionFlags(version) {
  const [major, minor] = version.replace(/^v/, '').split('.');
  // Both packages carry the version: component-base for the server, client-go for kubectl's client version.
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.buildDate=${BUILD_DATE}`,
  ]);
}

function buildKubernetes(cache) {
  const kube = kubeBinaries(cache);
  const module = join(kube.dir, 'module');
  mkdirSync(module, { recursive: true });
  say(`downloading k8s.io/kubernetes ${KUBE_VERSION}`);
  const upstream = download(`k8s.io/kubernetes@${KUBE_VERSION}`);
  const modules = stagingModules(readFileSync(upstream.GoMod, 'utf8'));
  if (modules.length === 0) throw new Error(`found no ./staging replacements in ${upstream.GoMod}`);
  writeFileSync(join(module, 'go.mod'), wrapperGoMod(modules));
  const packages = ['k8s.io/kubernetes/cmd/kube-apiserver', 'k8s.io/kubernetes/cmd/kubectl'];
  go(['get', ...packages.map((p) => `${p}@${KUBE_VERSION}`)], { cwd: module, what: 'resolving the wrapper module' });
  say(`building kube-apiserver and kubectl ${KUBE_VERSION} (${modules.length} staging modules pinned; most of a cold build)`);
  const out = join(kube.dir, 'build.tmp');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const { seconds } = go(['build', '-trimpath', '-ldflags', ['-s', '-w', ...versionFlags(KUBE_VERSION)].join(' '), '-o', `${out}/`, ...packages], {
    cwd: module,
    what: `building kube-apiserver and kubectl ${KUBE_VERSION}`,
  });
  for (const name of ['kube-apiserver', 'kubectl']) renameSync(join(out, name), join(kube.dir, name));
  rmSync(out, { recursive: true, force: true });
  say(`built kube-apiserver and kubectl in ${seconds.toFixed(0)}s`);
}

function buildEtcd(cache) {
  const dir = dirname(etcdBinary(cache));
  const module = join(dir, 'module');
  mkdirSync(module, { recursive: true });
  writeFileSync(join(module, 'go.mod'), `module thoth.local/etcd-build\n\ngo 1.24\n\nrequire ${ETCD_MODULE} ${ETCD_VERSION}\n`);
  go(['get', `${ETCD_MODULE}@${ETCD_VERSION}`], { cwd: module, what: 'resolving the etcd wrapper module' });
  say(`building etcd ${ETCD_VERSION}`);
  const tmp = join(dir, 'etcd.tmp');
  const { seconds } = go(['build', '-trimpath', '-ldflags', '-s -w', '-o', tmp, ETCD_MODULE], { cwd: module, what: `building etcd ${ETCD_VERSION}` });
  renameSync(tmp, etcdBinary(cache));
  say(`built etcd in ${seconds.toFixed(0)}s`);
}

function buildController(argo) {
  const tmp = join(argo.dir, 'bin.tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  say(`building Argo's workflow-controller ${ARGO_VERSION}`);
  // The version the controller reports and the argoexec image tag it names by default.
  const ldflags = `-s -w -X ${ARGO_MODULE}.version=${ARGO_VERSION} -X ${ARGO_MODULE}.buildDate=${BUILD_DATE}`;
  const { seconds } = go(['install', '-trimpath', '-ldflags', ldflags, `${ARGO_MODULE}/cmd/workflow-controller@${ARGO_VERSION}`], {
    env: { GOBIN: tmp },
    what: `building workflow-controller ${ARGO_VERSION}`,
  });
  renameSync(join(tmp, 'workflow-controller'), argo.controller);
  rmSync(tmp, { recursive: true, force: true });
  say(`built workflow-controller in ${seconds.toFixed(0)}s`);
}

/** Argo's full-schema CRDs and the controller's cluster RBAC, as the release ships them. */
function copyArgoManifests(argo) {
  const { Dir } = download(`${ARGO_MODULE}@${ARGO_VERSION}`);
  const manifests = join(argo.dir, 'manifests');
  rmSync(manifests, { recursive: true, force: true });
  mkdirSync(argo.crds, { recursive: true });
  mkdirSync(argo.rbac, { recursive: true });
  const crdSource = join(Dir, 'manifests', 'base', 'crds', 'full');
  for (const file of readdirSync(crdSource).filter((f) => f.startsWith('argoproj.io_') && f.endsWith('.yaml'))) {
    cpSync(join(crdSource, file), join(argo.crds, file));
  }
  const rbacSource = join(Dir, 'manifests', 'cluster-install-no-crds', 'workflow-controller-rbac');
  for (const file of readdirSync(rbacSource).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
    cpSync(join(rbacSource, file), join(argo.rbac, file));
  }
  cpSync(join(Dir, 'manifests', 'base', 'workflow-controller', 'workflow-controller-sa.yaml'), join(argo.rbac, 'workflow-controller-sa.yaml'));
  // Files in the module cache are read-only; the copies need not be.
  for (const dir of [argo.crds, argo.rbac]) for (const file of readdirSync(dir)) chmodSync(join(dir, file), 0o644);
  writeFileSync(join(manifests, '.complete'), `${ARGO_VERSION}\n`);
}
