import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { planEffects } from '../../src/investigate/dispatch.js';
import type { Effect } from '../../src/investigate/effects.js';
import type { IndexClient } from '../../src/investigate/index-client.js';
import type { InvestigatorConfig } from '../../src/config/investigator.js';
import type { Store } from '../../src/store/index.js';
import {
  INDEX,
  SOLVERS,
  incoming,
  noIndex,
  records,
  scheduled,
  solverNames,
  staticIndex,
  tempStore,
  testConfig,
  type TempStore,
} from './handlers-support.js';

let temp: TempStore;
let store: Store;
beforeEach(() => {
  temp = tempStore();
  store = temp.store;
});
afterEach(() => temp.dispose());

const key = { packageName: 'requests', packageVersion: '2.25.1', indexUrl: INDEX };
const pkg = { package_name: 'requests', package_version: '2.25.1', index_url: INDEX };

function plan(
  typeName: string,
  fields: Record<string, unknown>,
  options: { headers?: Record<string, string>; config?: InvestigatorConfig; index?: IndexClient } = {},
) {
  return planEffects(incoming(typeName, fields, options.headers), {
    store,
    config: options.config ?? testConfig(),
    index: options.index ?? noIndex,
    now: () => 0,
  });
}

async function permanent(promise: Promise<unknown>): Promise<PermanentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PermanentError);
  return error as PermanentError;
}

describe('unresolved-package', () => {
  it('schedules every configured solver for a version nobody solved, and records the request', async () => {
    const effects = await plan('unresolved-package', { package_name: 'Requests', package_version: '2.25.1', index_url: `${INDEX}/` });
    expect(solverNames(effects)).toEqual(SOLVERS.map((s) => `requests===2.25.1 ${s}`).sort());
    expect(scheduled(effects)[0].parameters).toEqual({
      THOTH_SOLVER_NAME: SOLVERS[0],
      THOTH_SOLVER_PACKAGES: 'requests===2.25.1',
      THOTH_SOLVER_INDEXES: INDEX,
      THOTH_SOLVER_DEPENDENCY_INDEXES: '',
      THOTH_SOLVER_NO_TRANSITIVE: '1',
      THOTH_FORCE_SYNC: '0',
    });
    expect(records(effects)).toEqual(['version', 'unresolved']);
  });

  it('schedules only the solvers that lack the version and have nothing in flight', async () => {
    store.recordVersion(key);
    store.recordSolved(key, SOLVERS[0]);
    store.recordWorkflow({
      name: 'solver-x',
      kind: 'solver',
      namespace: 'thoth',
      parameters: { THOTH_SOLVER_NAME: SOLVERS[1], THOTH_SOLVER_PACKAGES: 'requests===2.25.1', THOTH_SOLVER_INDEXES: INDEX },
      idempotencyKey: 'k1',
      status: 'Running',
      source: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      ...key,
    });
    expect(solverNames(await plan('unresolved-package', pkg))).toEqual([`requests===2.25.1 ${SOLVERS[2]}`]);
  });

  it('schedules only the solver the message names', async () => {
    expect(solverNames(await plan('unresolved-package', { ...pkg, solver: 'solver-fedora-34-py39' }))).toEqual([
      'requests===2.25.1 solver-fedora-34-py39',
    ]);
  });

  it('uses THOTH_SOLVERS and honours THOTH_INVESTIGATOR_SCHEDULE_SOLVER=0', async () => {
    expect(solverNames(await plan('unresolved-package', pkg, { config: testConfig({ THOTH_SOLVERS: 'solver-ubi-9-py311' }) }))).toEqual([
      'requests===2.25.1 solver-ubi-9-py311',
    ]);
    const off = await plan('unresolved-package', pkg, { config: testConfig({ THOTH_INVESTIGATOR_SCHEDULE_SOLVER: 'off' }) });
    expect(scheduled(off)).toEqual([]);
    expect(records(off)).toContain('unresolved');
  });

  it.each([[undefined], ['*']])('expands version %s to every version the index lists', async (version) => {
    const index = staticIndex({ requests: ['2.25.1', '2.25.0'] });
    const effects = await plan(
      'unresolved-package',
      { package_name: 'requests', index_url: INDEX, ...(version ? { package_version: version } : {}) },
      { index },
    );
    expect(index.calls).toEqual([`${INDEX} requests`]);
    expect(solverNames(effects)).toHaveLength(6);
    expect(solverNames(effects).filter((s) => s.startsWith('requests===2.25.0'))).toHaveLength(3);
  });

  it('refuses an index that is not registered, without asking it', async () => {
    const index = staticIndex({ requests: ['1.0'] });
    const error = await permanent(
      plan('unresolved-package', { package_name: 'requests', index_url: 'https://other.example/simple' }, { index }),
    );
    expect(error.errorClass).toBe('UnregisteredIndex');
    expect(error.message).toContain('THOTH_INDEX_URLS');
    expect(index.calls).toEqual([]);
  });

  it('accepts an index registered in the cache although THOTH_INDEX_URLS does not list it', async () => {
    store.registerIndex('https://mirror.example/simple');
    expect(solverNames(await plan('unresolved-package', { ...pkg, index_url: 'https://mirror.example/simple' }))).toHaveLength(3);
  });

  it('records the advice run that waits on the version (thoth-adviser-id header)', async () => {
    const effects = await plan('unresolved-package', pkg, {
      headers: { 'thoth-adviser-id': 'adviser-abc', 'thoth-recommendation-type': 'stable' },
    });
    expect(effects).toContainEqual({
      type: 'record',
      change: { what: 'advice-wait', adviserId: 'adviser-abc', recommendationType: 'stable', key },
    });
    const byDefault = await plan('unresolved-package', pkg, { headers: { 'thoth-adviser-id': 'adviser-abc' } });
    expect(byDefault).toContainEqual({
      type: 'record',
      change: { what: 'advice-wait', adviserId: 'adviser-abc', recommendationType: 'latest', key },
    });
  });

  it('leaves the re-run of an advice run to its decision: the handler only records the wait and schedules what is lacking', async () => {
    const advice = { headers: { 'thoth-adviser-id': 'adviser-abc' } };
    store.recordVersion(key);
    for (const solver of SOLVERS.slice(0, 2)) store.recordSolved(key, solver);
    const waiting = await plan('unresolved-package', pkg, advice);
    expect(solverNames(waiting)).toEqual([`requests===2.25.1 ${SOLVERS[2]}`]);
    expect(records(waiting)).toEqual(['version', 'unresolved', 'advice-wait']);
    // Every requested solver has it: nothing to schedule, nothing published by the handler either.
    const own = await plan('unresolved-package', { ...pkg, solver: SOLVERS[0] }, advice);
    expect(scheduled(own)).toEqual([]);
    expect(own.filter((e) => e.type === 'publish')).toEqual([]);
  });

  it('records the wait on every version of an expanded request', async () => {
    const index = staticIndex({ requests: ['2.25.1', '2.25.0'] });
    store.recordVersion(key);
    for (const solver of SOLVERS) store.recordSolved(key, solver);
    const effects = await plan(
      'unresolved-package',
      { package_name: 'requests', index_url: INDEX },
      { index, headers: { 'thoth-adviser-id': 'adviser-abc' } },
    );
    expect(solverNames(effects)).toEqual(SOLVERS.map((s) => `requests===2.25.0 ${s}`).sort());
    expect(effects.flatMap((e) => (e.type === 'record' && e.change.what === 'advice-wait' ? [e.change.key.packageVersion] : []))).toEqual([
      '2.25.1',
      '2.25.0',
    ]);
  });

  it('keys versions in their canonical PEP 440 form: flask==2.0 and Flask==v2.0.0 are one version, one set of solvers', async () => {
    const a = await plan('unresolved-package', { ...pkg, package_name: 'flask', package_version: '2.0', solver: null });
    const b = await plan('unresolved-package', { ...pkg, package_name: 'Flask', package_version: 'v2.0.0', solver: null });
    expect(solverNames(a)).toEqual(solverNames(b));
    expect(solverNames(a)).toEqual(SOLVERS.map((s) => `flask===2.0.0 ${s}`).sort());
  });

  it.each([
    [{ 'thoth-adviser-id': 'x; rm -rf /' }, 'thoth-adviser-id'],
    [{ 'thoth-adviser-id': 'adviser-1', 'thoth-recommendation-type': 'fastest' }, 'thoth-recommendation-type'],
  ])('refuses a bad advice header %j', async (headers, named) => {
    const error = await permanent(plan('unresolved-package', pkg, { headers }));
    expect(error.errorClass).toBe('InvalidHeader');
    expect(error.message).toContain(named);
  });

  it.each([
    ['package_name', 'requests; rm -rf /', 'InvalidPackageName'],
    ['package_name', '{{workflow.name}}', 'InvalidPackageName'],
    ['package_name', '../../etc/passwd', 'InvalidPackageName'],
    ['package_name', 'https://evil.example/x', 'InvalidPackageName'],
    ['package_name', 'a\u0000b', 'InvalidPackageName'],
    ['package_name', 'a'.repeat(5000), 'InvalidPackageName'],
    ['package_version', '$(id)', 'InvalidVersion'],
    ['package_version', '1.0\n2.0', 'InvalidVersion'],
    ['solver', 'solver-rhel-8-py38;echo', 'InvalidField'],
  ])('refuses %s %j', async (field, value, errorClass) => {
    const error = await permanent(plan('unresolved-package', { ...pkg, [field]: value }));
    expect(error.errorClass).toBe(errorClass);
    expect(error.message.length).toBeLessThan(400);
  });
});

describe('solved-package and si-unanalyzed-package', () => {
  const solved = { ...pkg, solver: SOLVERS[0] };

  it('records the result; security indicators are the decision of the facts (decisions.test.ts)', async () => {
    const effects = await plan('solved-package', solved);
    expect(effects).toContainEqual({ type: 'record', change: { what: 'solved', key, solver: SOLVERS[0] } });
    expect(scheduled(effects)).toEqual([]);
  });

  it('si-unanalyzed-package records that security indicators are asked for', async () => {
    expect(records(await plan('si-unanalyzed-package', pkg))).toEqual(['version', 'security-indicators-requested']);
  });

  it('schedules the Kebechet administrator only when enabled, with version and solver', async () => {
    expect(scheduled(await plan('solved-package', solved)).map((w) => w.kind)).not.toContain('kebechet-administrator');
    const effects = await plan('solved-package', solved, { config: testConfig({ THOTH_INVESTIGATOR_KEBECHET_ADMINISTRATOR: '1' }) });
    expect(scheduled(effects).find((w) => w.kind === 'kebechet-administrator')!.parameters).toEqual({
      THOTH_PACKAGE_NAME: 'requests',
      THOTH_PACKAGE_VERSION: '2.25.1',
      THOTH_PACKAGE_INDEX: INDEX,
      THOTH_SOLVER_NAME: SOLVERS[0],
      THOTH_MESSAGE_TYPE: 'thoth.solver.solved-package',
    });
  });
});

describe('package updates', () => {
  it('update-provides-source-distro sets the flag', async () => {
    expect(await plan('update-provides-source-distro', { ...pkg, value: false })).toContainEqual({
      type: 'record',
      change: { what: 'provides-source-distro', key, value: false },
    });
  });

  it('missing-package flags every known version; missing-package-version flags one', async () => {
    expect(await plan('missing-package', { package_name: 'requests', index_url: INDEX })).toEqual([
      { type: 'record', change: { what: 'package-missing', packageName: 'requests', indexUrl: INDEX } },
    ]);
    expect(await plan('missing-package-version', pkg)).toContainEqual({ type: 'record', change: { what: 'missing', key, missing: true } });
  });

  it('missing-package and cve-provided tell the Kebechet administrator when enabled', async () => {
    const config = testConfig({ THOTH_INVESTIGATOR_KEBECHET_ADMINISTRATOR: 'yes' });
    const missing = scheduled(await plan('missing-package', { package_name: 'requests', index_url: INDEX }, { config }));
    expect(missing).toEqual([
      {
        kind: 'kebechet-administrator',
        parameters: {
          THOTH_PACKAGE_NAME: 'requests',
          THOTH_PACKAGE_INDEX: INDEX,
          THOTH_MESSAGE_TYPE: 'thoth.package-update.missing-package',
        },
      },
    ]);
    const cve = await plan('cve-provided', pkg, { config });
    expect(records(cve)).toContain('cve');
    expect(scheduled(cve)[0].parameters.THOTH_MESSAGE_TYPE).toBe('thoth.cve-update.cve-provided');
  });

  it('package-released schedules the solvers lacking the version and the revsolver', async () => {
    store.recordSolved(key, SOLVERS[0]);
    const effects = await plan('package-released', pkg);
    expect(solverNames(effects)).toHaveLength(2);
    expect(scheduled(effects).find((w) => w.kind === 'revsolver')!.parameters).toEqual({
      THOTH_REVSOLVER_PACKAGE_NAME: 'requests',
      THOTH_REVSOLVER_PACKAGE_VERSION: '2.25.1',
    });
  });

  it('unrevsolved-package schedules the revsolver (upstream never did)', async () => {
    expect(scheduled(await plan('unrevsolved-package', { package_name: 'requests', package_version: '2.25.1' }))).toEqual([
      { kind: 'revsolver', parameters: { THOTH_REVSOLVER_PACKAGE_NAME: 'requests', THOTH_REVSOLVER_PACKAGE_VERSION: '2.25.1' } },
    ]);
    expect(
      scheduled(
        await plan(
          'unrevsolved-package',
          { package_name: 'requests', package_version: '2.25.1' },
          { config: testConfig({ THOTH_INVESTIGATOR_SCHEDULE_REVSOLVER: 'no' }) },
        ),
      ),
    ).toEqual([]);
  });

  it('hash-mismatch re-solves with every solver and marks the missing hashes (middletier), tells Kebechet (backend)', async () => {
    store.recordSolved(key, SOLVERS[0]);
    const message = { ...pkg, missing_from_source: ['sha256:aa'], missing_from_database: [] };
    const middletier = await plan('hash-mismatch', message, {
      config: testConfig({ THOTH_CONSUMER_MODE: 'middletier', THOTH_INVESTIGATOR_KEBECHET_ADMINISTRATOR: '1' }),
    });
    expect(solverNames(middletier)).toHaveLength(3);
    expect(middletier).toContainEqual({ type: 'record', change: { what: 'hash-present', key, hashes: ['sha256:aa'], present: false } });
    expect(scheduled(middletier).map((w) => w.kind)).not.toContain('kebechet-administrator');
    const backend = await plan('hash-mismatch', message, {
      config: testConfig({ THOTH_CONSUMER_MODE: 'backend', THOTH_INVESTIGATOR_KEBECHET_ADMINISTRATOR: '1' }),
    });
    expect(scheduled(backend).map((w) => w.kind)).toEqual(['kebechet-administrator']);
    expect(records(backend)).toEqual([]);
  });
});

describe('triggers', () => {
  it('adviser-trigger schedules the adviser with upstream parameters', async () => {
    const effects = await plan('adviser-trigger', {
      recommendation_type: 'stable',
      dev: true,
      count: 3,
      limit: 10,
      origin: 'https://github.example/org/repo',
      source_type: 'GITHUB_APP',
    });
    const [adviser] = scheduled(effects);
    expect(adviser.kind).toBe('adviser');
    expect(adviser.parameters).toMatchObject({
      THOTH_ADVISER_RECOMMENDATION_TYPE: 'stable',
      THOTH_ADVISER_DEV: '1',
      THOTH_AUTHENTICATED_ADVISE: '0',
      THOTH_ADVISER_COUNT: '3',
      THOTH_ADVISER_LIMIT: '10',
    });
    expect(JSON.parse(adviser.parameters.THOTH_ADVISER_METADATA)).toEqual({
      origin: 'https://github.example/org/repo',
      re_run_adviser_id: null,
      source_type: 'GITHUB_APP',
      kebechet_metadata: null,
      'thoth.adviser': { justification: null, stack_info: null },
    });
  });

  it('adviser-re-run schedules the adviser keeping re_run_adviser_id', async () => {
    const [adviser] = scheduled(await plan('adviser-re-run', { re_run_adviser_id: 'adviser-abc', recommendation_type: 'latest' }));
    expect(adviser.kind).toBe('adviser');
    expect(JSON.parse(adviser.parameters.THOTH_ADVISER_METADATA).re_run_adviser_id).toBe('adviser-abc');
  });

  it('an adviser-trigger with an unknown recommendation type fails before anything is applied', async () => {
    const error = await permanent(plan('adviser-trigger', { recommendation_type: 'fastest' }));
    expect(error.message).toContain('THOTH_ADVISER_RECOMMENDATION_TYPE');
  });

  it('provenance-checker-trigger joins the whitelisted sources', async () => {
    const [wf] = scheduled(
      await plan('provenance-checker-trigger', {
        authenticated: true,
        whitelisted_sources: ['https://index.example/simple', 'https://mirror.example/simple'],
      }),
    );
    expect(wf).toMatchObject({
      kind: 'provenance-checker',
      parameters: {
        THOTH_AUTHENTICATED_PROVENANCE_CHECK: '1',
        THOTH_WHITELISTED_SOURCES: 'https://index.example/simple,https://mirror.example/simple',
      },
    });
  });

  it('package-extract-trigger passes credentials as a Secret reference, never as a parameter', async () => {
    const effects = await plan('package-extract-trigger', {
      image: 'registry.example/org/app:1.0',
      environment_type: 'runtime',
      verify_tls: false,
      registry_user: 'bot',
      registry_password: 'hunter2',
    });
    const schedule = effects.find((e): e is Extract<Effect, { type: 'schedule' }> => e.type === 'schedule')!;
    expect(schedule.request.kind).toBe('package-extract');
    expect(schedule.request.parameters).toMatchObject({
      THOTH_ANALYZED_IMAGE: 'registry.example/org/app:1.0',
      THOTH_ANALYZER_NO_TLS_VERIFY: '1',
    });
    expect(schedule.request.secretRefs).toEqual({
      THOTH_REGISTRY_CREDENTIALS: { secret: 'thoth-registry-credentials', key: 'registry.example' },
    });
    expect(JSON.stringify(effects)).not.toContain('hunter2');
  });

  it.each([
    ['org/app:1.0', 'default-registry'],
    ['app', 'default-registry'],
    ['localhost/app:1', 'localhost'],
    ['registry.example:5000/org/app:2', 'registry.example_5000'],
  ])('package-extract-trigger of %s keeps its credentials under the Secret key %s', async (image, key) => {
    const effects = await plan('package-extract-trigger', {
      image,
      environment_type: 'runtime',
      registry_user: 'bot',
      registry_password: 'hunter2',
    });
    const schedule = effects.find((e): e is Extract<Effect, { type: 'schedule' }> => e.type === 'schedule')!;
    expect(schedule.request.secretRefs?.THOTH_REGISTRY_CREDENTIALS?.key).toBe(key);
  });

  it('build-analysis-trigger passes both registries as Secret references', async () => {
    const effects = await plan('build-analysis-trigger', {
      base_image: 'registry.example/base:1',
      output_image: 'quay.example/org/out:2',
      base_registry_user: 'a',
      base_registry_password: 'pw-base',
      output_registry_user: 'b',
      output_registry_password: 'pw-out',
      environment_type: 'buildtime',
    });
    const schedule = effects.find((e): e is Extract<Effect, { type: 'schedule' }> => e.type === 'schedule')!;
    expect(schedule.request.parameters).toMatchObject({
      THOTH_BUILD_ANALYSIS_BASE_IMAGE: 'registry.example/base:1',
      THOTH_BUILD_ANALYSIS_ENVIRONMENT_TYPE: 'buildtime',
    });
    expect(Object.keys(schedule.request.secretRefs!)).toEqual([
      'THOTH_BUILD_ANALYSIS_BASE_REGISTRY_CREDENTIALS',
      'THOTH_BUILD_ANALYSIS_OUTPUT_REGISTRY_CREDENTIALS',
    ]);
    expect(JSON.stringify(effects)).not.toMatch(/pw-base|pw-out/);
  });

  it('kebechet-trigger takes the slug from the webhook payload', async () => {
    const [wf] = scheduled(
      await plan('kebechet-trigger', { webhook_payload: { repository: { full_name: 'org/repo' }, action: 'opened' } }),
    );
    expect(wf).toEqual({
      kind: 'kebechet',
      parameters: { WEBHOOK_PAYLOAD: '{"repository":{"full_name":"org/repo"},"action":"opened"}', KEBECHET_SLUG: 'org/repo' },
    });
  });

  it('kebechet-run-url-trigger reads `metadata` (upstream read a field that does not exist)', async () => {
    const [wf] = scheduled(
      await plan('kebechet-run-url-trigger', {
        url: 'https://github.example/org/repo',
        service_name: 'github',
        metadata: { package_name: 'requests', package_version: '2.25.1' },
      }),
    );
    expect(wf.kind).toBe('kebechet-run-url');
    expect(JSON.parse(wf.parameters.KEBECHET_METADATA)).toMatchObject({ package_name: 'requests', package_version: '2.25.1' });
  });

  it('repo-init and inspection-completed schedule their workflows', async () => {
    expect(scheduled(await plan('repo-init', { project_url: 'https://github.example/org/repo' }))).toEqual([
      { kind: 'repo-init', parameters: { PROJECT_URL: 'https://github.example/org/repo' } },
    ]);
    expect(scheduled(await plan('inspection-completed', { inspection_id: 'inspection-abc', force_sync: true }))).toEqual([
      { kind: 'graph-sync', parameters: { THOTH_SYNC_DOCUMENT_ID: 'inspection-abc', THOTH_FORCE_SYNC: '1' } },
    ]);
  });
});

describe('metrics', () => {
  const justification = { message: 'No release', justification_type: 'WARNING', count: 4, adviser_version: '0.40.0' };

  it('advise-justification adds its count to a gauge in metrics mode', async () => {
    expect(
      await plan('advise-justification', justification, {
        config: testConfig({ THOTH_CONSUMER_MODE: 'metrics', THOTH_DEPLOYMENT_NAME: 'ocp4' }),
      }),
    ).toEqual([
      {
        type: 'metric',
        name: 'thoth_investigator_messages_total',
        labels: { message_type: 'advise-justification', message_version: 'v1' },
        value: 1,
        kind: 'counter',
      },
      {
        type: 'metric',
        name: 'thoth_investigator_advise_justification_type_number',
        labels: { justification_type: 'WARNING', thoth_environment: 'ocp4' },
        value: 4,
        kind: 'gauge',
      },
    ]);
  });

  it('labels come from fixed sets: the free text and made-up values of a message are never labels', async () => {
    const effects = await plan(
      'advise-justification',
      { ...justification, message: 'x'.repeat(5000), justification_type: 'WARNING\u001b[2J made up' },
      { config: testConfig({ THOTH_CONSUMER_MODE: 'metrics' }) },
    );
    const labels = effects.map((e) => (e as { labels: Record<string, string> }).labels);
    expect(labels).toEqual([
      { message_type: 'advise-justification', message_version: 'v1' },
      { justification_type: 'other', thoth_environment: '' },
    ]);
  });

  it('metrics mode only counts the messages of other modes', async () => {
    expect(await plan('unresolved-package', pkg, { config: testConfig({ THOTH_CONSUMER_MODE: 'metrics' }) })).toEqual([
      {
        type: 'metric',
        name: 'thoth_investigator_messages_total',
        labels: { message_type: 'unresolved-package', message_version: 'v1' },
        value: 1,
        kind: 'counter',
      },
    ]);
  });
});
