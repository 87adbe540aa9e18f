/**
 * Values are checked before they reach a workflow parameter (SPEC §4), and a
 * message that cannot be acted on is a dead letter whose reason names the
 * field and the rule: package fields inside metadata objects, empty versions,
 * solvers outside THOTH_SOLVERS, half a pair of registry credentials.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { planEffects, type Incoming } from '../../src/investigate/dispatch.js';
import type { IndexClient } from '../../src/investigate/index-client.js';
import type { Store } from '../../src/store/index.js';
import { INDEX, incoming, noIndex, records, scheduled, staticIndex, tempStore, testConfig, type TempStore } from './handlers-support.js';

let temp: TempStore;
let store: Store;
beforeEach(() => {
  temp = tempStore();
  store = temp.store;
});
afterEach(() => temp.dispose());

function planIncoming(message: Incoming, index: IndexClient = noIndex) {
  return planEffects(message, { store, config: testConfig(), index, now: () => 0 });
}

const plan = (typeName: string, fields: Record<string, unknown>, index?: IndexClient) => planIncoming(incoming(typeName, fields), index);

async function deadLetter(promise: Promise<unknown>): Promise<{ errorClass: string; reason: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PermanentError);
  const { errorClass, message } = error as PermanentError;
  return { errorClass, reason: message };
}

const runUrl = (metadata: Record<string, unknown>) => ({
  url: 'https://github.example/thoth-station/demo',
  service_name: 'github',
  metadata,
});

describe('package fields inside metadata objects', () => {
  it.each([
    ['package_name', { package_name: '$(id)', package_version: '1.0' }, 'InvalidPackageName', 'metadata.package_name: PEP 508'],
    ['package_name (empty)', { package_name: '', package_version: '1.0' }, 'InvalidPackageName', 'metadata.package_name: PEP 508'],
    ['package_version', { package_name: 'flask', package_version: '1.0 && id' }, 'InvalidVersion', 'metadata.package_version: PEP 440'],
    ['package_version (empty)', { package_name: 'flask', package_version: '' }, 'InvalidVersion', 'metadata.package_version: PEP 440'],
    [
      'package_index with credentials',
      { package_index: 'https://user:hunter2@index.example/simple' },
      'InvalidIndexUrl',
      'metadata.package_index: an index URL carries no credentials',
    ],
    [
      'package_index not http(s)',
      { package_index: 'file:///etc/passwd' },
      'InvalidIndexUrl',
      'metadata.package_index: an index URL uses http or https',
    ],
  ])(
    'kebechet-run-url-trigger: a bad metadata.%s is a dead letter naming the field and the rule',
    async (_, metadata, errorClass, reason) => {
      const letter = await deadLetter(plan('kebechet-run-url-trigger', runUrl(metadata)));
      expect(letter.errorClass).toBe(errorClass);
      expect(letter.reason).toContain(reason);
      expect(letter.reason).not.toContain('hunter2');
    },
  );

  it('kebechet-run-url-trigger: valid metadata still schedules, as sent', async () => {
    const metadata = { message_justification: 1, package_name: 'Flask', package_version: '2.0.1', package_index: INDEX };
    const [workflow] = scheduled(await plan('kebechet-run-url-trigger', runUrl(metadata)));
    expect(JSON.parse(workflow.parameters.KEBECHET_METADATA)).toEqual(metadata);
  });

  it.each(['adviser-trigger', 'provenance-checker-trigger'])(
    '%s: a bad kebechet_metadata.package_name is a dead letter',
    async (typeName) => {
      const fields = {
        kebechet_metadata: { package_name: 'flask; rm -rf /', package_version: '2.0.1' },
        ...(typeName === 'adviser-trigger' ? { recommendation_type: 'latest' } : {}),
      };
      const letter = await deadLetter(plan(typeName, fields));
      expect(letter).toEqual({
        errorClass: 'InvalidPackageName',
        reason: expect.stringContaining('kebechet_metadata.package_name: PEP 508'),
      });
    },
  );

  it('adviser-trigger: kebechet_metadata without package fields passes', async () => {
    const effects = await plan('adviser-trigger', {
      recommendation_type: 'latest',
      kebechet_metadata: { repository: 'thoth-station/demo' },
    });
    expect(scheduled(effects).map((w) => w.kind)).toEqual(['adviser']);
  });
});

describe('empty versions', () => {
  it.each([
    ['empty', '', 'PEP 440'],
    ['blank', '   ', 'PEP 440'],
  ])('unresolved-package with an %s package_version is InvalidVersion, and the index is never asked', async (_, packageVersion, rule) => {
    const index = staticIndex({ flask: ['1.0', '2.0.1'] });
    const letter = await deadLetter(
      plan('unresolved-package', { package_name: 'flask', index_url: INDEX, package_version: packageVersion }, index),
    );
    expect(letter.errorClass).toBe('InvalidVersion');
    expect(letter.reason).toMatch(new RegExp(`^package_version: ${rule}`));
    expect(index.calls).toEqual([]);
  });

  it('unresolved-package without a version or with `*` still expands over the index', async () => {
    for (const packageVersion of [null, '*']) {
      const index = staticIndex({ flask: ['1.0', '2.0.1'] });
      const effects = await plan('unresolved-package', { package_name: 'flask', index_url: INDEX, package_version: packageVersion }, index);
      expect(records(effects).filter((what) => what === 'version')).toHaveLength(2);
    }
  });

  it("an empty body version is no handler's version, not v1", async () => {
    const message = incoming('unresolved-package', { package_name: 'flask', index_url: INDEX, package_version: '2.0.1' });
    const letter = await deadLetter(planIncoming({ ...message, message: { ...message.message, version: '' } }));
    expect(letter).toEqual({ errorClass: 'NoHandlerForVersion', reason: expect.stringContaining('version "" (an empty version') });
  });

  it('an absent body version means v1', async () => {
    const message = incoming('unresolved-package', { package_name: 'flask', index_url: INDEX, package_version: '2.0.1' });
    const { version: _, ...withoutVersion } = message.message;
    // A body from the wire may lack the field the type of a built message always has.
    expect(scheduled(await planIncoming({ ...message, message: withoutVersion as typeof message.message })).length).toBe(3);
  });
});

describe('solvers outside THOTH_SOLVERS', () => {
  it('unresolved-package naming an unknown solver is UnknownSolver, listing the configured solvers', async () => {
    const letter = await deadLetter(
      plan('unresolved-package', { package_name: 'flask', index_url: INDEX, package_version: '2.0.1', solver: 'solver-windows-11-py311' }),
    );
    expect(letter.errorClass).toBe('UnknownSolver');
    expect(letter.reason).toBe(
      'solver: "solver-windows-11-py311" is not a configured solver; THOTH_SOLVERS (or --solvers) lists solver-rhel-8-py38, solver-fedora-34-py39, solver-fedora-35-py310',
    );
  });

  it('is a dead letter before the index is asked for every version', async () => {
    const index = staticIndex({ flask: ['1.0'] });
    const letter = await deadLetter(
      plan(
        'unresolved-package',
        { package_name: 'flask', index_url: INDEX, package_version: null, solver: 'solver-windows-11-py311' },
        index,
      ),
    );
    expect(letter.errorClass).toBe('UnknownSolver');
    expect(index.calls).toEqual([]);
  });

  it('a configured solver named by the message is the only one scheduled', async () => {
    const effects = await plan('unresolved-package', {
      package_name: 'flask',
      index_url: INDEX,
      package_version: '2.0.1',
      solver: 'solver-fedora-34-py39',
    });
    expect(scheduled(effects).map((w) => w.parameters.THOTH_SOLVER_NAME)).toEqual(['solver-fedora-34-py39']);
  });

  it('solved-package from a solver outside THOTH_SOLVERS is still recorded: the result happened', async () => {
    const effects = await plan('solved-package', {
      package_name: 'flask',
      package_version: '2.0.1',
      index_url: INDEX,
      solver: 'solver-fedora-36-py311',
    });
    const solved = effects.flatMap((e) => (e.type === 'record' && e.change.what === 'solved' ? [e.change] : []));
    expect(solved).toEqual([expect.objectContaining({ solver: 'solver-fedora-36-py311' })]);
  });
});

describe('reasons that name the field and the rule', () => {
  it.each(['unresolved-package', 'package-released', 'missing-package', 'unrevsolved-package'])(
    '%s: an empty package_name breaks PEP 508',
    async (typeName) => {
      const letter = await deadLetter(plan(typeName, { package_name: '', package_version: '2.0.1', index_url: INDEX }));
      expect(letter).toEqual({
        errorClass: 'InvalidPackageName',
        reason: 'package_name: PEP 508: a package name starts and ends with a letter or digit (the name is empty)',
      });
    },
  );

  it.each([
    [
      { base_image: 'registry.example/org/base:1', base_registry_password: 'hunter2' },
      'base_registry_user and base_registry_password go together; base_registry_user is missing',
    ],
    [
      { output_image: 'registry.example/org/out:1', output_registry_user: 'bot' },
      'output_registry_user and output_registry_password go together; output_registry_password is missing',
    ],
    [
      { base_registry_user: 'bot', base_registry_password: 'hunter2' },
      'base_registry_user and base_registry_password are given without base_image',
    ],
  ])('build-analysis-trigger: half a pair of registry credentials names both fields (%o)', async (fields, reason) => {
    const letter = await deadLetter(plan('build-analysis-trigger', fields));
    expect(letter).toEqual({ errorClass: 'InvalidField', reason });
  });

  it('package-extract-trigger: a password without a user names registry_user', async () => {
    const letter = await deadLetter(
      plan('package-extract-trigger', { image: 'registry.example/org/app:1', environment_type: 'runtime', registry_password: 'hunter2' }),
    );
    expect(letter.reason).toBe('registry_user and registry_password go together; registry_user is missing');
  });
});
