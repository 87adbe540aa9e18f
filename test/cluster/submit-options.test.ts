/**
 * `thoth submit`'s options against the real API server: the ledger entry it writes, where the
 * solver and namespace come from (flags, variables, the kubeconfig context), `-f FILE`, bad input
 * refused before anything reaches the cluster, and through the fault proxy: each retry shown on
 * stderr, and the bearer token never printed, not even with --verbose.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { cleanEnv, runThoth, type RunResult } from '../support/cli.js';
import { adminKubeconfig, applyDeploy, createNamespace, listWorkflows } from '../support/cluster.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';

const INDEX = 'https://index.example/simple';
const TIMEOUT = 60_000;
let namespace: string;
let backend: string;
let proxy: FaultProxy;
const outputs: RunResult[] = [];

beforeAll(async () => {
  [namespace, backend] = await Promise.all([createNamespace('submit-options'), createNamespace('submit-backend')]);
  await Promise.all([applyDeploy(namespace), applyDeploy(backend)]);
  proxy = await startFaultProxy();
});
afterAll(() => proxy.close());
afterEach(() => {
  // Whatever a test printed, the cluster's bearer token never appears.
  for (const r of outputs.splice(0)) expect(r.stdout + r.stderr).not.toContain(proxy.token);
});

/** A machine of its own (HOME, ledger) talking to the real cluster, or to the proxy in front of it. */
function machine(extra: NodeJS.ProcessEnv = {}) {
  const home = mkdtempSync(join(tmpdir(), 'thoth-submit-options-'));
  const env = cleanEnv({ HOME: home, THOTH_HOME: home, KUBECONFIG: adminKubeconfig(), THOTH_INDEX_URLS: INDEX, ...extra });
  return {
    home,
    async thoth(args: string[], more: NodeJS.ProcessEnv = {}) {
      const result = await runThoth(args, { env: { ...env, ...more } });
      outputs.push(result);
      return result;
    },
  };
}
const nameIn = (stdout: string) => /^workflow\.argoproj\.io\/(\S+) (created|unchanged)/.exec(stdout)![1];
const parameter = (w: { spec: { arguments?: { parameters?: Array<{ name: string; value: string }> } } }, name: string) =>
  w.spec.arguments?.parameters?.find((p) => p.name === name)?.value;

describe('thoth submit options on the real cluster', () => {
  it('records the workflow in the ledger, as the investigator would', async () => {
    const m = machine();
    const result = await m.thoth(['submit', 'revsolver', 'flask==2.0.1', '--namespace', namespace]);
    expect(result.code, result.stderr).toBe(0);
    const store = openStore(join(m.home, 'thoth.db'), { readonly: true });
    try {
      expect(store.findWorkflow(nameIn(result.stdout))).toMatchObject({
        kind: 'revsolver',
        namespace,
        status: 'Pending',
        packageName: 'flask',
        packageVersion: '2.0.1',
      });
    } finally {
      store.close();
    }
  });

  it('takes the solver from --solver, then THOTH_SOLVERS, and -p overrides the package operand', async () => {
    const m = machine();
    const names = [
      await m.thoth(['submit', 'solver', 'attrs==21.2.0', '--namespace', namespace, '--solver', 'solver-fedora-35-py310']),
      await m.thoth(['submit', 'solver', 'attrs==21.2.0', '--namespace', namespace], {
        THOTH_SOLVERS: 'solver-fedora-34-py39,solver-rhel-8-py38',
      }),
      await m.thoth(['submit', 'solver', 'attrs==21.2.0', '--namespace', namespace, '-p', 'THOTH_SOLVER_PACKAGES=urllib3===1.26.5']),
    ].map((r) => (expect(r.code, r.stderr).toBe(0), nameIn(r.stdout)));
    const stored = (await listWorkflows(namespace)).filter((w) => names.includes(w.metadata.name));
    expect(stored.map((w) => [parameter(w, 'THOTH_SOLVER_NAME'), parameter(w, 'THOTH_SOLVER_PACKAGES')]).sort()).toEqual([
      ['solver-fedora-34-py39', 'attrs===21.2.0'],
      ['solver-fedora-35-py310', 'attrs===21.2.0'],
      ['solver-rhel-8-py38', 'urllib3===1.26.5'],
    ]);
  });

  it('puts backend kinds in THOTH_BACKEND_NAMESPACE when no --namespace is given', async () => {
    const result = await machine().thoth(['submit', 'adviser', '-p', 'THOTH_ADVISER_RECOMMENDATION_TYPE=stable'], {
      THOTH_BACKEND_NAMESPACE: backend,
    });
    expect(result.code, result.stderr).toBe(0);
    expect((await listWorkflows(backend)).map((w) => w.metadata.name)).toContain(nameIn(result.stdout));
  });

  it('submits a Workflow file that references a thoth template, named and annotated by thoth', async () => {
    const m = machine();
    const file = join(m.home, 'wf.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: Workflow',
        `metadata: {generateName: mine-, namespace: ${namespace}}`,
        'spec:',
        '  workflowTemplateRef: {name: thoth-repo-init}',
        '  arguments:',
        '    parameters:',
        '      - {name: PROJECT_URL, value: "https://git.example/org/app"}',
      ].join('\n'),
    );
    const result = await m.thoth(['submit', '-f', file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^workflow\.argoproj\.io\/repo-init-org-app-[0-9a-f]{10} created\n$/);
    expect(result.stderr).toContain("the file's metadata.generateName is not used");
    const stored = (await listWorkflows(namespace)).find((w) => w.metadata.name === nameIn(result.stdout))!;
    expect(stored.metadata.labels).toMatchObject({ app: 'thoth', component: 'repo-init' });
    expect(parameter(stored, 'PROJECT_URL')).toBe('https://git.example/org/app');
  });
});

describe('thoth submit refuses bad input before anything reaches the cluster', () => {
  const table: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
    ['a missing required parameter, by name', ['graph-sync'], {}, /missing required parameter THOTH_SYNC_DOCUMENT_ID/],
    ['an invalid package spec, naming the rule', ['revsolver', 'flask>=2'], {}, /only an exact pin/],
    ['an invalid version, naming PEP 440', ['revsolver', 'flask==two'], {}, /PEP 440/],
    [
      'an index URL with credentials',
      ['solver', 'requests==2.25.1', '--index-url', 'https://u:p@index.example/simple'],
      {},
      /THOTH_SOLVER_INDEXES.*credentials/,
    ],
    [
      'a solver without any index configured',
      ['solver', 'requests==2.25.1'],
      { THOTH_INDEX_URLS: '', PIP_CONFIG_FILE: '/dev/null' },
      /--index-url, THOTH_INDEX_URLS, PIP_INDEX_URL/,
    ],
  ];
  it.each(table)('%s', async (_what, args, extra, message) => {
    const bad = await createNamespace('submit-bad');
    const before = proxy.requests.length;
    const result = await machine({ KUBECONFIG: proxy.kubeconfig(), ...extra }).thoth(['submit', ...args, '--namespace', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(proxy.requests.slice(before)).toEqual([]);
    expect(await listWorkflows(bad)).toEqual([]);
  });
});

describe('where the namespace comes from when none is given', () => {
  const contextKubeconfig = (ns: string | undefined) => proxy.kubeconfig({ namespace: ns });

  it("submit uses the kubeconfig context's namespace and says so", async () => {
    const result = await machine({ KUBECONFIG: contextKubeconfig(backend) }).thoth(['submit', 'revsolver', 'chardet==4.0.0']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`namespace ${backend} (from the kubeconfig context fault-proxy; --namespace NS to change)`);
    expect((await listWorkflows(backend)).map((w) => w.metadata.name)).toContain(nameIn(result.stdout));
  });

  it('--namespace and the namespace variables still win over the context', async () => {
    const m = machine({ KUBECONFIG: contextKubeconfig(backend) });
    const flag = await m.thoth(['submit', 'revsolver', 'chardet==4.0.1', '--namespace', namespace]);
    const variable = await m.thoth(['submit', 'revsolver', 'chardet==4.0.2'], { THOTH_MIDDLETIER_NAMESPACE: namespace });
    for (const r of [flag, variable]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('from the kubeconfig context');
    }
    const here = (await listWorkflows(namespace)).map((w) => w.metadata.name);
    expect(here).toEqual(expect.arrayContaining([nameIn(flag.stdout), nameIn(variable.stdout)]));
  });

  it('a context without a namespace: a clear error naming every way to give one, nothing created', async () => {
    const before = proxy.requests.length;
    const result = await machine({ KUBECONFIG: contextKubeconfig(undefined) }).thoth(['submit', 'revsolver', 'chardet==4.0.3']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /no namespace for revsolver workflows[\s\S]*--namespace NS, set THOTH_MIDDLETIER_NAMESPACE, or set a namespace in the kubeconfig context/,
    );
    expect(proxy.requests.slice(before)).toEqual([]);
  });

  it("--dry-run client takes the context's namespace and contacts nothing", async () => {
    const before = proxy.requests.length;
    const result = await machine({ KUBECONFIG: contextKubeconfig(backend) }).thoth([
      'submit',
      'revsolver',
      'chardet==4.0.4',
      '--dry-run',
      'client',
      '-o',
      'json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).metadata.namespace).toBe(backend);
    expect(proxy.requests.slice(before)).toEqual([]);
  });

  it("investigate --workflows cluster uses the context's namespace too", { timeout: TIMEOUT }, async () => {
    const m = machine({ KUBECONFIG: contextKubeconfig(backend) });
    const stream = new URL('../../fixtures/streams/continuous-learning.ndjson', import.meta.url).pathname;
    const result = await m.thoth(['--db', join(m.home, 'thoth.db'), 'investigate', '--from', stream, '--workflows', 'cluster']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`workflows: namespace ${backend} where none is configured (from the kubeconfig context fault-proxy`);
    expect((await listWorkflows(backend)).filter((w) => w.metadata.labels.component === 'solver').length).toBeGreaterThan(0);
  });
});

describe('thoth submit through the fault proxy', () => {
  it('shows each retry on stderr without --verbose, then says created', async () => {
    proxy.inject({ kind: 'status', status: 500 }, { count: 2 });
    const result = await machine({ KUBECONFIG: proxy.kubeconfig() }).thoth([
      'submit',
      'revsolver',
      'jinja2==3.0.1',
      '--namespace',
      namespace,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.match(/HTTP 500: injected by the fault proxy; retrying in \d+ ms \(attempt \d of 6\)/g)).toHaveLength(2);
    expect(result.stdout).toMatch(/ created\n$/);
  });

  it('keeps the token out of verbose output and of errors', async () => {
    proxy.inject({ kind: 'status', status: 503 });
    const verbose = await machine({ KUBECONFIG: proxy.kubeconfig() }).thoth([
      '--verbose',
      'submit',
      'revsolver',
      'jinja2==3.0.2',
      '--namespace',
      namespace,
    ]);
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stderr).toContain('HTTP 503');
    const refused = await machine({ KUBECONFIG: proxy.kubeconfig({ token: `${proxy.token}x` }) }).thoth([
      '--verbose',
      'submit',
      'revsolver',
      'jinja2==3.0.3',
      '--namespace',
      namespace,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('401 Unauthorized');
    // (afterEach checks the token; the wrong one must not show either.)
    expect(refused.stdout + refused.stderr).not.toContain(`${proxy.token}x`);
  });
});
