/**
 * thoth's container image, built with podman (node scripts/image.mjs build: the Containerfile on
 * Debian bases made with mmdebstrap) and run the way deploy/investigator/deployment.yaml runs it:
 * read-only root and no writable /tmp, user 65532, every capability dropped, no privilege
 * escalation, its memory and CPU limits, the cache on an emptyDir (a tmpfs here) or a volume, and
 * no network at all.
 *
 * Needs podman, runc and mmdebstrap (`bash .ci/run` installs them). Without podman every test here
 * fails and says so; none is skipped. The first build on a machine takes minutes (bases, then
 * better-sqlite3 compiled from source), later ones seconds from podman's layer cache.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEPLOYMENT, IMAGE, VERSION, deploymentRunFlags, podmanEnv } from '../../scripts/image.mjs';
import { cleanEnv, runThoth } from '../support/cli.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DEMO = [
  'investigate',
  '--from',
  'fixtures/streams/continuous-learning.ndjson',
  '--index-url',
  'https://index.example/simple',
  '-o',
  'table',
];
/** A cold build: the Debian bases (a few minutes once per machine), then npm ci with g++ on sqlite3.c. */
const BUILD_TIMEOUT_MS = 30 * 60_000;
const RUN_TIMEOUT_MS = 120_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the test worker (podman build takes minutes). */
function run(command: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, env: podmanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 1), stdout, stderr });
    });
  });
}

const podman = (args: string[], timeoutMs = RUN_TIMEOUT_MS) => run('podman', args, timeoutMs);

/** The image as the Deployment runs it, with no network; `flags` before the image name, `args` after. */
function asDeployed(args: string[], { volume, flags = [] }: { volume?: string; flags?: string[] } = {}) {
  return podman(['run', '--rm', '--network=none', ...deploymentRunFlags({ volume }), ...flags, IMAGE, ...args]);
}

function explain(result: Run) {
  return `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

/** Why the image is not there to test, when the build failed: every test that needs it fails with this. */
let notBuilt: Error | undefined = new Error('the image was not built (the build test did not run)');
function needsImage() {
  if (notBuilt) throw notBuilt;
}

describe('node scripts/image.mjs build', () => {
  it(
    'builds the image on the Debian bases (minutes the first time on a machine, seconds from the layer cache)',
    async () => {
      const version = spawnSync('podman', ['--version'], { encoding: 'utf8' });
      if (version.error || version.status !== 0) {
        notBuilt = new Error(
          `the image tests need podman (${version.error?.message ?? version.stderr.trim()}): run bash .ci/run, or apt-get install podman runc mmdebstrap`,
        );
        throw notBuilt;
      }
      const build = await run(process.execPath, ['scripts/image.mjs', 'build'], BUILD_TIMEOUT_MS);
      if (build.code !== 0) {
        notBuilt = new Error(`node scripts/image.mjs build failed:\n${explain(build).slice(-6000)}`);
        throw notBuilt;
      }
      expect(build.stdout).toBe(`${IMAGE}\n`);
      notBuilt = undefined;
    },
    BUILD_TIMEOUT_MS,
  );
});

describe('the image run as deploy/investigator/deployment.yaml says', () => {
  const deployment = parseYaml(readFileSync(DEPLOYMENT, 'utf8'));
  const pod = deployment.spec.template.spec;
  const [container] = pod.containers;
  const thothHome = container.env.find((e: { name: string }) => e.name === 'THOTH_HOME').value as string;

  it('translates the Deployment into podman flags: read-only root without /tmp, user 65532, no capabilities, no escalation, the cache on a tmpfs', () => {
    const flags = deploymentRunFlags().join(' ');
    expect(container.image).toBe(IMAGE);
    expect(flags).toContain('--user 65532:65532');
    expect(flags).toContain('--read-only --read-only-tmpfs=false');
    expect(flags).toContain('--cap-drop=ALL');
    expect(flags).toContain('--security-opt no-new-privileges');
    expect(flags).toContain(`--env THOTH_HOME=${thothHome}`);
    expect(flags).toContain(`--tmpfs ${thothHome}:`);
    expect(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain(thothHome);
  });

  it('thoth --version', async () => {
    needsImage();
    const result = await asDeployed(['--version']);
    expect(result, explain(result)).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it(
    'the demo (investigate --from the continuous-learning stream) says inside what it says on the host',
    async () => {
      needsImage();
      const home = mkdtempSync(join(tmpdir(), 'thoth-image-demo-'));
      try {
        const host = await runThoth(
          DEMO.map((a) => (a.startsWith('fixtures/') ? join(REPO, a) : a)),
          { env: cleanEnv({ THOTH_HOME: home }) },
        );
        expect(host.code, host.stderr).toBe(0);
        const inside = await asDeployed(DEMO);
        expect(inside.code, explain(inside)).toBe(0);
        expect(inside.stdout).toContain('5 workflow');
        // Line by line, in any order: workflows created in the same millisecond are listed by name,
        // others in creation order (ORDER BY created_at, name), so the order of the three solvers varies.
        const lines = (text: string, cache: string) => text.replaceAll(cache, '<THOTH_HOME>').split('\n').sort();
        expect(lines(inside.stdout, thothHome)).toEqual(lines(host.stdout, home));
        expect(lines(inside.stderr, thothHome)).toEqual(lines(host.stderr, home));
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'writes nothing outside THOTH_HOME: the root and /tmp are read-only, and a writable root shows no change after the demo',
    async () => {
      needsImage();
      const probe = await asDeployed(['-c', `touch /opt/thoth/x; touch /tmp/x; touch ${thothHome}/x && echo cache-writable`], {
        flags: ['--entrypoint', 'sh'],
      });
      expect(probe.stderr).toContain("cannot touch '/opt/thoth/x': Read-only file system");
      expect(probe.stderr).toContain("cannot touch '/tmp/x': Read-only file system");
      expect(probe.stdout).toBe('cache-writable\n');

      const name = `thoth-image-diff-${process.pid}`;
      const user = ['--user', '65532:65532', '--tmpfs', `${thothHome}:rw,U`];
      try {
        const demo = await podman(['run', '--name', name, '--network=none', ...user, IMAGE, ...DEMO]);
        expect(demo.code, explain(demo)).toBe(0);
        const diff = await podman(['diff', name]);
        expect(diff.code, explain(diff)).toBe(0);
        // podman itself writes /etc/hosts, /etc/hostname and /etc/resolv.conf into every container.
        const changes = diff.stdout
          .split('\n')
          .filter((line) => line && !/^C \/etc$|^[AC] \/etc\/(hosts|hostname|resolv\.conf)$|^[AC] \/run(\/.containerenv)?$/.test(line));
        expect(changes).toEqual([]);
      } finally {
        await podman(['rm', '--force', name]);
      }
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'sorts more than SQLite keeps in memory: its temporary files go to the volume (TMPDIR), not the read-only /tmp',
    async () => {
      needsImage();
      // ~40 MB of sort keys, above better-sqlite3's 16 MB page cache, so SQLite spills to a temporary file.
      const sort =
        'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<1000000) SELECT count(*) AS n FROM (SELECT hex(randomblob(16)) AS h FROM c ORDER BY h)';
      const script = `thoth ${DEMO.join(' ')} >/dev/null 2>&1 && exec thoth query sql '${sort}' -o json`;
      const result = await asDeployed(['-c', script], { flags: ['--entrypoint', 'sh'] });
      expect(result.code, explain(result)).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([{ n: 1_000_000 }]);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'keeps the cache on a volume from one container to the next (a PersistentVolumeClaim in place of the emptyDir)',
    async () => {
      needsImage();
      const volume = `thoth-image-cache-${process.pid}`;
      try {
        const first = await asDeployed(DEMO, { volume });
        expect(first.code, explain(first)).toBe(0);
        const stats = await asDeployed(['query', 'stats', '-o', 'json'], { volume });
        expect(stats.code, explain(stats)).toBe(0);
        expect(JSON.parse(stats.stdout)).toMatchObject({ path: `${thothHome}/thoth.db`, tables: { workflows: 5 } });
      } finally {
        await podman(['volume', 'rm', '--force', volume]);
      }
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "serves /_health as PID 1 and stops on SIGTERM with exit 0 within the pod's grace period",
    async () => {
      needsImage();
      const name = `thoth-image-sigterm-${process.pid}`;
      try {
        const started = await podman([
          'run',
          '--detach',
          '--name',
          name,
          '--network=none',
          ...deploymentRunFlags(),
          IMAGE,
          'investigate',
          '--workflows',
          'record',
          '--port',
          '6066',
        ]);
        expect(started.code, explain(started)).toBe(0);
        const probe = [
          'exec',
          name,
          'node',
          '-e',
          "fetch('http://127.0.0.1:6066/_health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
        ];
        let healthy = false;
        for (let i = 0; i < 60 && !healthy; i += 1) {
          healthy = (await podman(probe)).code === 0;
          if (!healthy) await new Promise((r) => setTimeout(r, 500));
        }
        expect(healthy, (await podman(['logs', name])).stderr).toBe(true);
        const since = Date.now();
        const stop = await podman(['stop', '--time', String(pod.terminationGracePeriodSeconds), name]);
        expect(stop.code, explain(stop)).toBe(0);
        expect(Date.now() - since).toBeLessThan(10_000);
        const state = await podman(['inspect', '--format', '{{.State.ExitCode}}', name]);
        expect(state.stdout.trim(), (await podman(['logs', name])).stderr).toBe('0');
      } finally {
        await podman(['rm', '--force', name]);
      }
    },
    RUN_TIMEOUT_MS,
  );
});

describe('the runtime image', () => {
  it('runs as 65532 with thoth as its entrypoint, the cache volume at THOTH_HOME, and OCI labels from package.json', async () => {
    needsImage();
    const inspect = await podman(['image', 'inspect', IMAGE]);
    expect(inspect.code, explain(inspect)).toBe(0);
    const [{ Config: config }] = JSON.parse(inspect.stdout);
    expect(config.User).toBe('65532:65532');
    expect(config.Entrypoint).toEqual(['thoth']);
    expect(config.Env).toEqual(expect.arrayContaining(['THOTH_HOME=/var/lib/thoth', 'TMPDIR=/var/lib/thoth']));
    expect(Object.keys(config.Volumes ?? {})).toEqual(['/var/lib/thoth']);
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.version': VERSION,
      'org.opencontainers.image.licenses': 'GPL-3.0-or-later',
    });
    const id = await podman(['run', '--rm', '--network=none', '--entrypoint', 'id', IMAGE, '-u']);
    expect(id, explain(id)).toMatchObject({ code: 0, stdout: '65532\n' });
  });

  it('holds no compiler, no npm and no development dependency', async () => {
    needsImage();
    const tools = [
      'npm',
      'npx',
      'corepack',
      'yarn',
      'yarnpkg',
      'pnpm',
      'node-gyp',
      'gcc',
      'g++',
      'cc',
      'c++',
      'make',
      'python3',
      'tsc',
      'vitest',
    ];
    const paths = [
      '/opt/thoth/node_modules/typescript',
      '/opt/thoth/node_modules/vitest',
      '/opt/thoth/node_modules/@types/better-sqlite3',
      '/opt/thoth/src',
      '/usr/include/node',
      '/opt/thoth/node_modules/better-sqlite3/deps',
    ];
    const script = `for t in ${tools.join(' ')}; do command -v "$t"; done; for p in ${paths.join(' ')}; do [ ! -e "$p" ] || echo "$p"; done; command -v node`;
    const result = await podman(['run', '--rm', '--network=none', '--entrypoint', 'sh', IMAGE, '-c', script]);
    expect(result.code, explain(result)).toBe(0);
    // node is there (and found), nothing else is.
    expect(result.stdout.trim().split('\n')).toEqual([expect.stringMatching(/\/node$/)]);
  });

  it(
    'hands itself on: node scripts/image.mjs save writes an OCI archive of the image',
    async () => {
      needsImage();
      const dir = mkdtempSync(join(tmpdir(), 'thoth-image-save-'));
      try {
        const path = join(dir, `thoth-${VERSION}.oci.tar`);
        const save = await run(process.execPath, ['scripts/image.mjs', 'save', path], RUN_TIMEOUT_MS);
        expect(save.code, explain(save)).toBe(0);
        expect(save.stdout.trim()).toBe(path);
        const tar = (member: string) => spawnSync('tar', ['-xOf', path, member], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
        expect(JSON.parse(tar('oci-layout').stdout)).toEqual({ imageLayoutVersion: '1.0.0' });
        const index = JSON.parse(tar('index.json').stdout);
        expect(index.manifests).toHaveLength(1);
        expect(index.manifests[0].annotations).toEqual({ 'org.opencontainers.image.ref.name': IMAGE });
        const [algorithm, digest] = index.manifests[0].digest.split(':');
        const manifest = JSON.parse(tar(`blobs/${algorithm}/${digest}`).stdout);
        const listed = spawnSync('tar', ['-tf', path], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }).stdout.split('\n');
        for (const layer of manifest.layers) expect(listed).toContain(`blobs/${layer.digest.replace(':', '/')}`);
        const inspect = await podman(['image', 'inspect', '--format', '{{.Id}}', IMAGE]);
        expect(manifest.config.digest).toBe(`sha256:${inspect.stdout.trim()}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    RUN_TIMEOUT_MS,
  );
});
