/**
 * `thoth submit` where no cluster takes part: a client dry run (it contacts nothing, with or
 * without a kubeconfig) and what is refused while parsing. Everything that reaches an API server
 * is tested against the real one under test/cluster/ (submit-kinds, submit-options, submit-ledger,
 * submit-wait, bad-cluster, argo-missing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Workflow } from '../../src/workflows/types.js';
import { cleanEnv, runThoth } from '../support/cli.js';

const INDEX = 'https://index.example/simple';
let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-submit-'));
  env = cleanEnv({ HOME: dir, THOTH_HOME: dir, KUBECONFIG: join(dir, 'missing'), THOTH_INDEX_URLS: INDEX });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('thoth submit --dry-run client', () => {
  it('prints the workflow without any cluster', async () => {
    const result = await runThoth(['submit', 'solver', 'requests==2.25.1', '--namespace', 'thoth', '--dry-run', 'client', '-o', 'yaml'], {
      env,
    });
    expect(result.code, result.stderr).toBe(0);
    const workflow = parseYaml(result.stdout) as Workflow;
    expect(workflow.metadata.name).toBe('solver-requests-2-25-1-rhel-8-py38-c18e345c0c');
    expect(workflow.spec.workflowTemplateRef).toEqual({ name: 'thoth-solver' });
    expect(result.stdout).not.toContain('managedFields');
  });

  it('without any namespace or cluster shows the workflow in namespace thoth, and says so', async () => {
    const result = await runThoth(['submit', 'revsolver', 'chardet==4.0.0', '--dry-run', 'client', '-o', 'json'], {
      env: cleanEnv({ HOME: dir, THOTH_HOME: dir }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as Workflow).metadata.namespace).toBe('thoth');
    expect(result.stderr).toContain('namespace thoth (no --namespace');
  });

  it('prints the name line with "(dry run)"', async () => {
    const result = await runThoth(['submit', 'revsolver', 'chardet==4.0.0', '--namespace', 'thoth', '--dry-run', 'client'], { env });
    expect(result.stdout).toMatch(/^workflow\.argoproj\.io\/revsolver-chardet-4-0-0-[0-9a-f]{10} created \(dry run\)\n$/);
  });
});

describe('thoth submit refuses while parsing', () => {
  const table: Array<[string, string[], RegExp]> = [
    [
      'an unknown kind, listing the kinds',
      ['submit', 'solvr', 'requests==2.25.1'],
      /unknown workflow kind "solvr"[\s\S]*kinds: solver, revsolver, security-indicators/,
    ],
    [
      'a bad -o value',
      ['submit', 'revsolver', 'flask==2.0.1', '--namespace', 'thoth', '-o', 'table'],
      /-o must be one of json, yaml, name/,
    ],
    [
      '--wait with a dry run',
      ['submit', 'revsolver', 'flask==2.0.1', '--dry-run', 'server', '--wait'],
      /a dry run creates nothing to wait for/,
    ],
    ['--timeout without --wait', ['submit', 'revsolver', 'flask==2.0.1', '--timeout', '5m'], /--timeout limits --wait or --watch/],
    [
      'a --solver that is no solver name, naming the flag before anything else is said',
      ['submit', 'solver', 'flask==2.0.1', '--solver', 'nope', '--index-url', 'https://index.example/simple', '--dry-run', 'client'],
      /^error: --solver: "nope" is not a solver name; a solver is named solver-<os>-<os_version>-py<XY>/,
    ],
  ];
  it.each(table)('%s: exit 2', async (_what, args, message) => {
    const result = await runThoth(args, { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
