import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { openStore } from '../../src/store/index.js';
import type { Workflow } from '../../src/workflows/types.js';
import { cleanEnv, runThoth, type RunResult } from '../support/cli.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';

const INDEX = 'https://index.example/simple';
let dir: string;
let server: KubeApiServer;
let env: NodeJS.ProcessEnv;
const outputs: RunResult[] = [];

async function thoth(args: string[], options: { env?: NodeJS.ProcessEnv; tty?: boolean } = {}): Promise<RunResult> {
  const result = await runThoth(args, { env: options.env ?? env, tty: options.tty });
  outputs.push(result);
  return result;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-submit-'));
  server = await startKubeApiServer({ namespaces: ['thoth', 'thoth-backend'] });
  env = cleanEnv({ HOME: dir, THOTH_HOME: dir, KUBECONFIG: server.writeKubeconfig(dir), THOTH_INDEX_URLS: INDEX });
});
afterEach(async () => {
  // Whatever a test printed, the cluster's bearer token never appears.
  for (const r of outputs.splice(0)) {
    expect(r.stdout).not.toContain(server.token);
    expect(r.stderr).not.toContain(server.token);
  }
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const created = () => server.workflows();
/** Resolves once the server holds a workflow of this kind, then returns it. */
async function appeared(component: string): Promise<Workflow> {
  for (;;) {
    const found = server.workflows().find((w) => w.metadata.labels.component === component);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('thoth submit', () => {
  it('submitting twice creates one workflow and says unchanged the second time', async () => {
    const first = await thoth(['submit', 'solver', 'requests==2.25.1', '--namespace', 'thoth']);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('workflow.argoproj.io/solver-requests-2-25-1-rhel-8-py38-c18e345c0c created\n');
    const second = await thoth(['submit', 'solver', 'requests==2.25.1', '--namespace', 'thoth']);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('workflow.argoproj.io/solver-requests-2-25-1-rhel-8-py38-c18e345c0c unchanged\n');
    expect(created()).toHaveLength(1);
    const parameters = Object.fromEntries(created()[0].spec.arguments!.parameters!.map((p) => [p.name, p.value]));
    expect(parameters).toMatchObject({
      THOTH_SOLVER_NAME: 'solver-rhel-8-py38',
      THOTH_SOLVER_PACKAGES: 'requests===2.25.1',
      THOTH_SOLVER_INDEXES: INDEX,
    });
  });

  it('records the workflow in the ledger, as the investigator would', async () => {
    await thoth(['submit', 'revsolver', 'flask==2.0.1', '--namespace', 'thoth']);
    const store = openStore(join(dir, 'thoth.db'), { readonly: true });
    try {
      const entry = store.findWorkflow(created()[0].metadata.name);
      expect(entry).toMatchObject({
        kind: 'revsolver',
        namespace: 'thoth',
        status: 'Pending',
        packageName: 'flask',
        packageVersion: '2.0.1',
      });
    } finally {
      store.close();
    }
  });

  it('--force submits a second run under a unique name', async () => {
    await thoth(['submit', 'solver', 'requests==2.25.1', '--namespace', 'thoth']);
    const forced = await thoth(['submit', 'solver', 'requests==2.25.1', '--namespace', 'thoth', '--force']);
    expect(forced.stdout).toMatch(/^workflow\.argoproj\.io\/solver-requests-2-25-1-rhel-8-py38-c18e345c0c-[a-z0-9]{5} created\n$/);
    expect(created()).toHaveLength(2);
  });

  it('takes the solver from --solver, then THOTH_SOLVERS, and -p overrides the operand', async () => {
    await thoth(['submit', 'solver', 'requests==2.25.1', '--namespace', 'thoth', '--solver', 'solver-fedora-35-py310']);
    await thoth(['submit', 'solver', 'requests==2.25.1', '--namespace', 'thoth'], {
      env: { ...env, THOTH_SOLVERS: 'solver-fedora-34-py39,solver-rhel-8-py38' },
    });
    await thoth(['submit', 'solver', 'requests==2.25.1', '--namespace', 'thoth', '-p', 'THOTH_SOLVER_PACKAGES=urllib3===1.26.5']);
    const solvers = created().map((w) => w.spec.arguments!.parameters!.find((p) => p.name === 'THOTH_SOLVER_NAME')!.value);
    expect(solvers.sort()).toEqual(['solver-fedora-34-py39', 'solver-fedora-35-py310', 'solver-rhel-8-py38']);
    expect(created().some((w) => w.metadata.name.startsWith('solver-urllib3-1-26-5-'))).toBe(true);
  });

  it('--dry-run client prints the workflow without any cluster', async () => {
    const result = await thoth(['submit', 'solver', 'requests==2.25.1', '--namespace', 'thoth', '--dry-run', 'client', '-o', 'yaml'], {
      env: cleanEnv({ HOME: dir, KUBECONFIG: join(dir, 'missing'), THOTH_INDEX_URLS: INDEX }),
    });
    expect(result.code).toBe(0);
    const workflow = parseYaml(result.stdout) as Workflow;
    expect(workflow.metadata.name).toBe('solver-requests-2-25-1-rhel-8-py38-c18e345c0c');
    expect(workflow.spec.workflowTemplateRef).toEqual({ name: 'thoth-solver' });
    expect(server.requests).toHaveLength(0);
  });

  it('--dry-run server asks the API server and creates nothing', async () => {
    const result = await thoth(['submit', 'solver', 'requests==2.25.1', '--namespace', 'thoth', '--dry-run', 'server']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('workflow.argoproj.io/solver-requests-2-25-1-rhel-8-py38-c18e345c0c created (server dry run)\n');
    expect(server.requests.map((r) => r.query.dryRun)).toEqual(['All']);
    expect(created()).toHaveLength(0);
  });

  it('-o json prints the object as the cluster holds it', async () => {
    const result = await thoth(['submit', 'graph-sync', '-p', 'THOTH_SYNC_DOCUMENT_ID=inspection-1', '--namespace', 'thoth', '-o', 'json']);
    const workflow = JSON.parse(result.stdout) as Workflow;
    expect(workflow.metadata.uid).toBe(created()[0].metadata.uid);
  });

  it('puts backend kinds in THOTH_BACKEND_NAMESPACE when no --namespace is given', async () => {
    const result = await thoth(['submit', 'adviser', '-p', 'THOTH_ADVISER_RECOMMENDATION_TYPE=stable'], {
      env: { ...env, THOTH_BACKEND_NAMESPACE: 'thoth-backend' },
    });
    expect(result.code).toBe(0);
    expect(created()[0].metadata.namespace).toBe('thoth-backend');
  });

  it('submits a Workflow file that references a thoth template', async () => {
    const file = join(dir, 'wf.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: Workflow',
        'metadata: {generateName: mine-, namespace: thoth}',
        'spec:',
        '  workflowTemplateRef: {name: thoth-repo-init}',
        '  arguments:',
        '    parameters:',
        '      - {name: PROJECT_URL, value: "https://git.example/org/app"}',
      ].join('\n'),
    );
    const result = await thoth(['submit', '-f', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^workflow\.argoproj\.io\/repo-init-org-app-[0-9a-f]{10} created\n$/);
  });
});

describe('thoth submit --wait / --watch', () => {
  it('--wait exits 0 when the workflow succeeds', async () => {
    const running = thoth(['submit', 'revsolver', 'flask==2.0.1', '--namespace', 'thoth', '--wait']);
    const workflow = await appeared('revsolver');
    server.setPhase('thoth', workflow.metadata.name, 'Running');
    server.setPhase('thoth', workflow.metadata.name, 'Succeeded');
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `workflow.argoproj.io/${workflow.metadata.name} created\nworkflow.argoproj.io/${workflow.metadata.name} Succeeded\n`,
    );
  });

  it('--wait exits 1 with the failing node and its message when the workflow fails', async () => {
    const running = thoth(['submit', 'revsolver', 'flask==2.0.1', '--namespace', 'thoth', '--wait']);
    const workflow = await appeared('revsolver');
    server.setPhase('thoth', workflow.metadata.name, 'Failed', 'child "revsolver" failed', {
      [workflow.metadata.name]: {
        id: workflow.metadata.name,
        displayName: workflow.metadata.name,
        type: 'Steps',
        phase: 'Failed',
        message: 'child failed',
      },
      pod: { id: 'pod', displayName: 'revsolver', type: 'Pod', phase: 'Failed', message: 'Error (exit code 3): no such version' },
    });
    const result = await running;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`workflow.argoproj.io/${workflow.metadata.name} Failed\n`);
    expect(result.stderr).toContain('ended Failed: node revsolver: Error (exit code 3): no such version');
    const store = openStore(join(dir, 'thoth.db'), { readonly: true });
    try {
      expect(store.findWorkflow(workflow.metadata.name)?.status).toBe('Failed');
    } finally {
      store.close();
    }
  });

  it('--wait exits 1 when the workflow errors', async () => {
    const running = thoth(['submit', 'revsolver', 'flask==2.0.1', '--namespace', 'thoth', '--wait']);
    const workflow = await appeared('revsolver');
    server.setPhase('thoth', workflow.metadata.name, 'Error', 'pod deleted');
    const result = await running;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ended Error: pod deleted');
  });

  it('--watch shows the phase and node progress on stderr', async () => {
    const running = thoth(['submit', 'revsolver', 'flask==2.0.1', '--namespace', 'thoth', '--watch']);
    const workflow = await appeared('revsolver');
    server.setPhase('thoth', workflow.metadata.name, 'Running', undefined, {
      pod: { id: 'pod', displayName: 'revsolver', type: 'Pod', phase: 'Running' },
    });
    server.setPhase('thoth', workflow.metadata.name, 'Succeeded', undefined, {
      pod: { id: 'pod', displayName: 'revsolver', type: 'Pod', phase: 'Succeeded' },
    });
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`${workflow.metadata.name}  Succeeded  1/1 nodes`);
  });
});

describe('thoth submit refuses bad input', () => {
  const table: Array<[string, string[], NodeJS.ProcessEnv | undefined, number, RegExp]> = [
    [
      'an unknown kind, listing the kinds',
      ['submit', 'solvr', 'requests==2.25.1'],
      undefined,
      2,
      /unknown workflow kind "solvr"[\s\S]*kinds: solver, revsolver, security-indicators/,
    ],
    [
      'a missing required parameter, by name',
      ['submit', 'graph-sync', '--namespace', 'thoth'],
      undefined,
      1,
      /missing required parameter THOTH_SYNC_DOCUMENT_ID/,
    ],
    [
      'an invalid package spec, naming the rule',
      ['submit', 'revsolver', 'flask>=2', '--namespace', 'thoth'],
      undefined,
      1,
      /only an exact pin/,
    ],
    ['an invalid version, naming PEP 440', ['submit', 'revsolver', 'flask==two', '--namespace', 'thoth'], undefined, 1, /PEP 440/],
    [
      'an index URL with credentials',
      ['submit', 'solver', 'requests==2.25.1', '--namespace', 'thoth', '--index-url', 'https://u:p@index.example/simple'],
      undefined,
      1,
      /THOTH_SOLVER_INDEXES.*credentials/,
    ],
    [
      'a solver without any index configured',
      ['submit', 'solver', 'requests==2.25.1', '--namespace', 'thoth'],
      { THOTH_INDEX_URLS: '', PIP_CONFIG_FILE: '/dev/null' },
      1,
      /--index-url, THOTH_INDEX_URLS, PIP_INDEX_URL/,
    ],
    [
      'a bad -o value',
      ['submit', 'revsolver', 'flask==2.0.1', '--namespace', 'thoth', '-o', 'table'],
      undefined,
      2,
      /-o must be one of name, yaml, json/,
    ],
  ];
  for (const [what, args, extra, code, message] of table) {
    it(what, async () => {
      const result = await thoth(args, { env: { ...env, ...extra } });
      expect(result.code).toBe(code);
      expect(result.stderr).toMatch(message);
      expect(created()).toHaveLength(0);
    });
  }

  it('a namespace that does not exist: exit 1 saying so and how to create it', async () => {
    const result = await thoth(['submit', 'revsolver', 'flask==2.0.1', '--namespace', 'nowhere']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('namespace nowhere does not exist');
    expect(result.stderr).toContain('kubectl create namespace nowhere');
  });

  it('a forbidden namespace: exit 1 with the server reason', async () => {
    server.addNamespace('locked');
    server.forbidNamespace('locked');
    const result = await thoth(['submit', 'revsolver', 'flask==2.0.1', '--namespace', 'locked']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/forbidden: User .* cannot create resource "workflows"/);
  });

  it('no cluster configured: a clear error, not localhost:8080', async () => {
    const result = await thoth(['submit', 'revsolver', 'flask==2.0.1', '--namespace', 'thoth'], {
      env: cleanEnv({ HOME: dir, THOTH_HOME: dir }),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no Kubernetes cluster is configured');
    expect(server.requests).toHaveLength(0);
  });

  it('shows each retry on stderr without --verbose', async () => {
    server.injectCreateFaults({ kind: 'status', status: 500 }, 2);
    const result = await thoth(['submit', 'revsolver', 'flask==2.0.1', '--namespace', 'thoth']);
    expect(result.code).toBe(0);
    expect(result.stderr.match(/HTTP 500: injected fault; retrying in \d+ ms \(attempt \d of 6\)/g)).toHaveLength(2);
    expect(result.stdout).toMatch(/ created\n$/);
  });

  it('keeps the token out of verbose output and errors too', async () => {
    server.injectCreateFaults({ kind: 'status', status: 503 });
    const result = await thoth(['--verbose', 'submit', 'revsolver', 'flask==2.0.1', '--namespace', 'thoth']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('HTTP 503');
  });
});
