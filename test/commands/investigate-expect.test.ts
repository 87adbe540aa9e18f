/**
 * `thoth investigate --from STREAM --expect EXPECTED.json` as a CI job runs
 * it: exit 0 when the run matches, exit 1 with one line per difference when
 * it does not, and a --from run that dead-letters exits 1 unless told that
 * it is expected.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';

const SCENARIO = fileURLToPath(new URL('../../fixtures/scenarios/unresolved-package/', import.meta.url));
const INDEX = 'https://index.example/simple';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-expect-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra: NodeJS.ProcessEnv = {}) => cleanEnv({ THOTH_INDEX_URLS: INDEX, KUBECONFIG: join(dir, 'none'), ...extra });
const investigate = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  runThoth(['--db', join(dir, `${Math.random().toString(36).slice(2)}.db`), 'investigate', ...args], { env: env(extra) });

function expectation(doc: unknown): string {
  const path = join(dir, 'expected.json');
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

const UNRESOLVED = JSON.stringify({
  topic: 'thoth.investigator.unresolved-package',
  key: 'requests==2.25.1',
  headers: {},
  value: {
    component_name: 'thoth',
    service_version: '0.1.0',
    version: 'v1',
    package_name: 'requests',
    package_version: '2.25.1',
    index_url: INDEX,
    solver: 'solver-rhel-8-py38',
  },
  timestamp: 1714564800000,
});
const NOT_JSON = JSON.stringify({
  topic: 'thoth.solver.solved-package',
  key: null,
  headers: {},
  value: '{"not": json',
  timestamp: 1714564800000,
});

function stream(...lines: string[]): string {
  const path = join(dir, 'stream.ndjson');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

const verdict = (stderr: string) => stderr.slice(stderr.indexOf('expect:')).trimEnd().split('\n');

describe('thoth investigate --expect', () => {
  it('exits 0 and says so when the run matches the scenario it replays', async () => {
    const run = await investigate(['--from', join(SCENARIO, 'input.ndjson'), '--expect', join(SCENARIO, 'expected.json')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`expect: the run matches ${join(SCENARIO, 'expected.json')}`);
  });

  it('exits 1 with one readable line per difference', async () => {
    const path = expectation({
      workflows: [{ kind: 'solver', parameters: { THOTH_SOLVER_NAME: 'solver-fedora-35-py310' } }],
      published: [{ type: 'adviser-re-run', fields: {} }],
      dead_letters: [{ topic: 'thoth.investigator.unresolved-package', error_class: 'NotJson', reason_contains: 'x' }],
      packages: [{ name: 'requests', version: '2.25.1', expect: { is_missing: true } }],
    });
    const run = await investigate(['--from', stream(UNRESOLVED), '--expect', path], {
      THOTH_SOLVERS: 'solver-rhel-8-py38,solver-fedora-35-py310',
    });
    expect(run.code).toBe(1);
    expect(verdict(run.stderr)).toEqual([
      `expect: 5 differences from ${path}:`,
      '  ✘ missing workflow (1x): solver {"THOTH_SOLVER_NAME":"solver-fedora-35-py310"}',
      '  ✘ unexpected workflow (1x): solver {"THOTH_FORCE_SYNC":"0","THOTH_SOLVER_DEPENDENCY_INDEXES":"","THOTH_SOLVER_INDEXES":"https://index.example/simple","THOTH_SOLVER_NAME":"solver-rhel-8-py38","THOTH_SOLVER_NO_TRANSITIVE":"1","THOTH_SOLVER_PACKAGES":"requests===2.25.1"}',
      '  ✘ expected 1 follow-up message(s), got 0',
      '  ✘ expected 1 dead letter(s), got 0',
      '  ✘ requests==2.25.1.is_missing: expected true, got false',
    ]);
  });

  it('fails a --from run that dead-lettered a message, unless the expectation lists it or --allow-dead-letters says so', async () => {
    const file = stream(NOT_JSON);
    const plain = await investigate(['--from', file]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('warning: 1 message was dead-lettered (thoth dead-letters list)');

    expect((await investigate(['--from', file, '--allow-dead-letters'])).code).toBe(0);

    const listed = expectation({
      workflows: [],
      dead_letters: [{ topic: 'thoth.solver.solved-package', error_class: 'NotJson', reason_contains: 'not valid JSON' }],
    });
    const expected = await investigate(['--from', file, '--expect', listed]);
    expect(expected.code, expected.stderr).toBe(0);
    expect(expected.stderr).not.toContain('dead-lettered (thoth dead-letters list)');

    const unlisted = await investigate(['--from', file, '--expect', expectation({ workflows: [] })]);
    expect(unlisted.code).toBe(1);
    expect(verdict(unlisted.stderr)[1]).toMatch(/^ {2}✘ expected 0 dead letter\(s\), got 1: NotJson \(/);
  });

  it('refuses an expectation file it cannot use before running anything', async () => {
    const file = stream(UNRESOLVED);
    const missing = await investigate(['--from', file, '--expect', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`--expect ${join(dir, 'nope.json')}: cannot read it (ENOENT)`);
    expect(missing.stdout).toBe('');

    const cases: Array<[unknown, string]> = [
      [[], 'the document must be an object'],
      [{}, 'workflows is required and must be an array'],
      [{ workflows: [{ kind: 'solver' }] }, 'workflows[0].parameters must be an object'],
      [{ workflows: [], dead_letters: [{ topic: 't', error_class: 'NotJson' }] }, 'dead_letters[0].reason_contains must be a string'],
      [{ workflows: [], metrics: [{ name: 'm', labels: {}, value: '1' }] }, 'metrics[0].value must be a number'],
    ];
    for (const [doc, message] of cases) {
      const path = expectation(doc);
      const run = await investigate(['--from', file, '--expect', path]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`--expect ${path}: ${message}`);
    }
    writeFileSync(join(dir, 'broken.json'), '{"workflows": [');
    const broken = await investigate(['--from', file, '--expect', join(dir, 'broken.json')]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`--expect ${join(dir, 'broken.json')}: not JSON`);
  });
});
