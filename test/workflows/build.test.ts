import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { ANNOTATIONS, buildWorkflow } from '../../src/workflows/build.js';
import { kindSpec, packageOf } from '../../src/workflows/kinds.js';
import { WORKFLOW_KINDS, type WorkflowKind, type WorkflowRequest } from '../../src/workflows/types.js';

const SAMPLES = JSON.parse(readFileSync(new URL('../../fixtures/workflows/requests.json', import.meta.url), 'utf8')) as Record<
  WorkflowKind,
  Record<string, string>
>;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const INDEX = 'https://index.example/simple';

const build = (request: WorkflowRequest, random?: () => string) => buildWorkflow(request, { namespace: 'thoth', random });
const solver = (parameters: Record<string, string> = {}): WorkflowRequest => ({
  kind: 'solver',
  parameters: { ...SAMPLES.solver, ...parameters },
});

function problem(request: WorkflowRequest): string {
  try {
    build(request);
  } catch (error) {
    expect(error).toBeInstanceOf(PermanentError);
    return (error as Error).message;
  }
  throw new Error('expected the builder to refuse the request');
}

describe('buildWorkflow for every kind', () => {
  it('has a sample request for each of the 12 kinds', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...WORKFLOW_KINDS].sort());
  });

  for (const kind of WORKFLOW_KINDS) {
    it(`${kind}: a Workflow referencing its template, with labels, key and a DNS-1123 name of at most 63 characters`, () => {
      const source = { topic: 'thoth.investigator.unresolved-package', partition: 2, offset: 42 };
      const workflow = build({ kind, parameters: SAMPLES[kind], source });
      expect(workflow.apiVersion).toBe('argoproj.io/v1alpha1');
      expect(workflow.kind).toBe('Workflow');
      expect(workflow.spec.workflowTemplateRef).toEqual({ name: kindSpec(kind).templateName });
      expect(workflow.metadata.labels).toEqual({ app: 'thoth', component: kind });
      expect(workflow.metadata.namespace).toBe('thoth');
      expect(workflow.metadata.name.length).toBeLessThanOrEqual(63);
      expect(workflow.metadata.name).toMatch(DNS_1123_LABEL);
      expect(workflow.metadata.name.startsWith(`${kind}-`)).toBe(true);
      expect(workflow.metadata.annotations[ANNOTATIONS.idempotencyKey]).toMatch(/^[0-9a-f]{64}$/);
      expect(workflow.metadata.annotations).toMatchObject({
        [ANNOTATIONS.sourceTopic]: 'thoth.investigator.unresolved-package',
        [ANNOTATIONS.sourcePartition]: '2',
        [ANNOTATIONS.sourceOffset]: '42',
      });
      const sent = workflow.spec.arguments!.parameters!.map((p) => p.name);
      for (const required of kindSpec(kind).parameters.filter((p) => p.required)) expect(sent).toContain(required.name);
      for (const p of workflow.spec.arguments!.parameters!) expect(typeof p.value).toBe('string');
    });

    it(`${kind}: the same request always gets the same name, whatever the parameter order or source`, () => {
      const reversed = Object.fromEntries(Object.entries(SAMPLES[kind]).reverse());
      const a = build({ kind, parameters: SAMPLES[kind], source: { topic: 't', partition: 0, offset: 1 } });
      const b = build({ kind, parameters: reversed, source: { topic: 't', partition: 3, offset: 99 } });
      expect(b.metadata.name).toBe(a.metadata.name);
      expect(b.metadata.annotations[ANNOTATIONS.idempotencyKey]).toBe(a.metadata.annotations[ANNOTATIONS.idempotencyKey]);
    });

    for (const required of kindSpec(kind).parameters.filter((p) => p.required)) {
      it(`${kind}: leaving out ${required.name} names it`, () => {
        const parameters = { ...SAMPLES[kind] };
        delete parameters[required.name];
        expect(problem({ kind, parameters })).toContain(`missing required parameter ${required.name}`);
      });
    }
  }
});

describe('names', () => {
  it('does not change between releases for the same request (a change would re-run every workflow)', () => {
    expect(build(solver()).metadata.name).toBe('solver-requests-2-25-1-rhel-8-py38-c18e345c0c');
  });

  it('normalises the package name and index first, so equivalent requests share a name', () => {
    const a = build(solver({ THOTH_SOLVER_PACKAGES: 'Requests===2.25.1', THOTH_SOLVER_INDEXES: `${INDEX}/` }));
    expect(a.metadata.name).toBe(build(solver()).metadata.name);
  });

  it('fills defaults, so leaving a parameter out equals giving its default', () => {
    expect(build(solver({ THOTH_FORCE_SYNC: '0', THOTH_SOLVER_NO_TRANSITIVE: '1' })).metadata.name).toBe(build(solver()).metadata.name);
  });

  it('differs when any parameter differs', () => {
    const names = new Set([
      build(solver()).metadata.name,
      build(solver({ THOTH_SOLVER_NAME: 'solver-fedora-35-py310' })).metadata.name,
      build(solver({ THOTH_SOLVER_PACKAGES: 'requests===2.25.0' })).metadata.name,
      build(solver({ THOTH_FORCE_SYNC: '1' })).metadata.name,
    ]);
    expect(names.size).toBe(4);
  });

  it('stays within 63 characters for long values', () => {
    const long = 'a'.repeat(150);
    const workflow = build({
      kind: 'kebechet-administrator',
      parameters: { ...SAMPLES['kebechet-administrator'], THOTH_PACKAGE_NAME: long },
    });
    expect(workflow.metadata.name.length).toBeLessThanOrEqual(63);
    expect(workflow.metadata.name).toMatch(DNS_1123_LABEL);
    const forced = build({
      kind: 'kebechet-administrator',
      parameters: { ...SAMPLES['kebechet-administrator'], THOTH_PACKAGE_NAME: long },
      force: true,
    });
    expect(forced.metadata.name.length).toBeLessThanOrEqual(63);
    expect(forced.metadata.name).toMatch(DNS_1123_LABEL);
  });

  it('--force adds a unique suffix and keeps the idempotency key', () => {
    const plain = build(solver());
    const first = build({ ...solver(), force: true });
    const second = build({ ...solver(), force: true });
    expect(first.metadata.name).not.toBe(second.metadata.name);
    expect(first.metadata.name.startsWith(plain.metadata.name)).toBe(true);
    expect(first.metadata.annotations[ANNOTATIONS.idempotencyKey]).toBe(plain.metadata.annotations[ANNOTATIONS.idempotencyKey]);
    expect(build({ ...solver(), force: true }, () => 'x1y2z').metadata.name).toBe(`${plain.metadata.name}-x1y2z`);
  });
});

describe('validation', () => {
  const table: Array<[string, WorkflowRequest, RegExp]> = [
    ['a PEP 508 name', solver({ THOTH_SOLVER_PACKAGES: 'requests!===1.0' }), /THOTH_SOLVER_PACKAGES.*PEP 508/],
    [
      'a PEP 440 version',
      { kind: 'revsolver', parameters: { THOTH_REVSOLVER_PACKAGE_NAME: 'flask', THOTH_REVSOLVER_PACKAGE_VERSION: 'banana' } },
      /THOTH_REVSOLVER_PACKAGE_VERSION.*PEP 440/,
    ],
    ['name===version lines', solver({ THOTH_SOLVER_PACKAGES: 'requests==2.25.1' }), /THOTH_SOLVER_PACKAGES.*name===version/],
    ['http(s) URLs', solver({ THOTH_SOLVER_INDEXES: 'ftp://index.example/simple' }), /THOTH_SOLVER_INDEXES.*http or https/],
    [
      'URLs without credentials',
      solver({ THOTH_SOLVER_INDEXES: 'https://user:secret@index.example/simple' }),
      /THOTH_SOLVER_INDEXES.*credentials/,
    ],
    [
      'repository URLs without credentials',
      { kind: 'repo-init', parameters: { PROJECT_URL: 'https://me:token@git.example/org/app' } },
      /invalid PROJECT_URL: a URL carries no credentials/,
    ],
    ['a solver name', solver({ THOTH_SOLVER_NAME: 'rhel8' }), /THOTH_SOLVER_NAME.*solver-<os>-<os_version>-py<XY>/],
    ['flags', solver({ THOTH_FORCE_SYNC: 'true' }), /THOTH_FORCE_SYNC.*one of 0, 1/],
    ['JSON', { kind: 'kebechet', parameters: { WEBHOOK_PAYLOAD: '{not json' } }, /WEBHOOK_PAYLOAD.*JSON/],
    [
      'recommendation types',
      { kind: 'adviser', parameters: { THOTH_ADVISER_RECOMMENDATION_TYPE: 'fastest' } },
      /THOTH_ADVISER_RECOMMENDATION_TYPE.*latest, performance/,
    ],
    [
      'image references',
      { kind: 'package-extract', parameters: { THOTH_ANALYZED_IMAGE: 'Not An Image' } },
      /THOTH_ANALYZED_IMAGE.*image reference/,
    ],
    ['known parameters', solver({ THOTH_SOLVER_TYPO: 'x' }), /unknown parameter THOTH_SOLVER_TYPO for solver.*THOTH_SOLVER_NAME/],
    [
      'no credentials as plain parameters',
      { kind: 'package-extract', parameters: { ...SAMPLES['package-extract'], THOTH_REGISTRY_CREDENTIALS: 'user:pw' } },
      /credentials go in a Secret reference/,
    ],
    ['something to do for build-analysis', { kind: 'build-analysis', parameters: {} }, /at least one of THOTH_BUILD_ANALYSIS_BASE_IMAGE/],
    [
      'control characters',
      { kind: 'graph-sync', parameters: { THOTH_SYNC_DOCUMENT_ID: 'doc\u0000' } },
      /THOTH_SYNC_DOCUMENT_ID.*control characters/,
    ],
  ];
  for (const [rule, request, message] of table) {
    it(`enforces ${rule}`, () => expect(problem(request)).toMatch(message));
  }

  it('passes credentials as a Secret reference only', () => {
    const workflow = build({
      kind: 'package-extract',
      parameters: SAMPLES['package-extract'],
      secretRefs: { THOTH_REGISTRY_CREDENTIALS: { secret: 'registry-creds', key: 'auth' } },
    });
    const parameters = Object.fromEntries(workflow.spec.arguments!.parameters!.map((p) => [p.name, p.value]));
    expect(parameters).toMatchObject({
      THOTH_REGISTRY_CREDENTIALS_SECRET: 'registry-creds',
      THOTH_REGISTRY_CREDENTIALS_SECRET_KEY: 'auth',
    });
    expect(parameters).not.toHaveProperty('THOTH_REGISTRY_CREDENTIALS');
    expect(
      problem({ kind: 'solver', parameters: SAMPLES.solver, secretRefs: { THOTH_REGISTRY_CREDENTIALS: { secret: 's', key: 'k' } } }),
    ).toMatch(/solver workflows take no secret/);
    expect(
      problem({
        kind: 'package-extract',
        parameters: SAMPLES['package-extract'],
        secretRefs: { THOTH_REGISTRY_CREDENTIALS: { secret: 'Bad Name', key: 'k' } },
      }),
    ).toMatch(/DNS-1123/);
  });
});

describe('packageOf', () => {
  it('links package kinds to their package for the ledger, and others to none', () => {
    const params = (kind: WorkflowKind) =>
      Object.fromEntries(build({ kind, parameters: SAMPLES[kind] }).spec.arguments!.parameters!.map((p) => [p.name, p.value]));
    expect(packageOf('solver', params('solver'))).toEqual({ packageName: 'requests', packageVersion: '2.25.1', indexUrl: INDEX });
    expect(packageOf('security-indicators', params('security-indicators'))).toEqual({
      packageName: 'flask',
      packageVersion: '2.0.1',
      indexUrl: INDEX,
    });
    expect(packageOf('revsolver', params('revsolver'))).toEqual({ packageName: 'urllib3', packageVersion: '1.26.5', indexUrl: null });
    expect(packageOf('graph-sync', params('graph-sync'))).toBeNull();
  });
});
