/**
 * Where `thoth submit` and `thoth investigate --workflows cluster` put a
 * workflow when no --namespace or namespace variable is given: the
 * kubeconfig context's namespace, as kubectl and argo do, said on stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';

const INDEX = 'https://index.example/simple';
const STREAM = fileURLToPath(new URL('../../fixtures/streams/continuous-learning.ndjson', import.meta.url));
let dir: string;
let server: KubeApiServer;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-submit-ns-'));
  server = await startKubeApiServer({ namespaces: ['thoth', 'other'] });
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: NodeJS.ProcessEnv = {}) => cleanEnv({ HOME: dir, THOTH_HOME: dir, THOTH_INDEX_URLS: INDEX, ...extra });

describe('the namespace when none is configured', () => {
  it("submit uses the kubeconfig context's namespace and says so", async () => {
    const result = await runThoth(['submit', 'revsolver', 'chardet==4.0.0'], {
      env: env({ KUBECONFIG: server.writeKubeconfig(dir, { namespace: 'other' }) }),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^workflow\.argoproj\.io\/\S+ created\n$/);
    expect(result.stderr).toContain('namespace other (from the kubeconfig context loopback');
    expect(server.workflows('other')).toHaveLength(1);
    expect(server.workflows('thoth')).toHaveLength(0);
  });

  it('--namespace and the namespace variables still win over the context', async () => {
    const kubeconfig = server.writeKubeconfig(dir, { namespace: 'other' });
    expect(
      (await runThoth(['submit', 'revsolver', 'chardet==4.0.0', '--namespace', 'thoth'], { env: env({ KUBECONFIG: kubeconfig }) })).code,
    ).toBe(0);
    const fromEnv = await runThoth(['submit', 'revsolver', 'flask==2.0.1'], {
      env: env({ KUBECONFIG: kubeconfig, THOTH_MIDDLETIER_NAMESPACE: 'thoth' }),
    });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stderr).not.toContain('from the kubeconfig context');
    expect(server.workflows('thoth')).toHaveLength(2);
    expect(server.workflows('other')).toHaveLength(0);
  });

  it('a context without a namespace: a clear error naming every way to give one', async () => {
    const result = await runThoth(['submit', 'revsolver', 'chardet==4.0.0'], {
      env: env({ KUBECONFIG: server.writeKubeconfig(dir, { namespace: null }) }),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /no namespace for revsolver workflows[\s\S]*--namespace NS, set THOTH_MIDDLETIER_NAMESPACE, or set a namespace in the kubeconfig context/,
    );
    expect(server.workflows()).toHaveLength(0);
  });

  it('--dry-run client without any cluster shows the workflow in namespace thoth, announced', async () => {
    const result = await runThoth(['submit', 'revsolver', 'chardet==4.0.0', '--dry-run', 'client', '-o', 'json'], { env: env() });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).metadata.namespace).toBe('thoth');
    expect(result.stderr).toContain('namespace thoth (no --namespace');
  });

  it("--dry-run client takes the context's namespace when a kubeconfig exists, contacting nothing", async () => {
    const kubeconfig = server.writeKubeconfig(dir, { namespace: 'other' });
    const result = await runThoth(['submit', 'revsolver', 'chardet==4.0.0', '--dry-run', 'client', '-o', 'json'], {
      env: env({ KUBECONFIG: kubeconfig }),
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).metadata.namespace).toBe('other');
    expect(server.requests).toHaveLength(0);
  });

  it("investigate --workflows cluster uses the context's namespace too", async () => {
    const kubeconfig = server.writeKubeconfig(dir, { namespace: 'other' });
    const result = await runThoth(
      ['--db', join(dir, 'thoth.db'), 'investigate', '--from', STREAM, '--workflows', 'cluster', '--kubeconfig', kubeconfig],
      { env: env() },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('workflows: namespace other where none is configured (from the kubeconfig context loopback');
    expect(server.workflows('other').length).toBeGreaterThan(0);
    expect(server.workflows('thoth')).toHaveLength(0);
  });
});
