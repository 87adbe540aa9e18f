/**
 * `thoth submit -f FILE`: parameter values as the file spells them, -p on
 * top like `argo submit -f -p`, stdin with `-f -`, one document per file,
 * and nothing in the file dropped without a word.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Workflow } from '../../src/workflows/types.js';
import { cleanEnv, runThoth } from '../support/cli.js';

let dir: string;
const env = () => cleanEnv({ HOME: dir, THOTH_HOME: dir });
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-submit-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const REVSOLVER = (version = '3.10', metadata = '{namespace: thoth}') =>
  [
    'apiVersion: argoproj.io/v1alpha1',
    'kind: Workflow',
    `metadata: ${metadata}`,
    'spec:',
    '  workflowTemplateRef: {name: thoth-revsolver}',
    '  arguments:',
    '    parameters:',
    '      - name: THOTH_REVSOLVER_PACKAGE_NAME',
    '        value: chardet',
    '      - name: THOTH_REVSOLVER_PACKAGE_VERSION',
    `        value: ${version}`,
    '',
  ].join('\n');

function parameters(stdout: string): Record<string, string> {
  const workflow = JSON.parse(stdout) as Workflow;
  return Object.fromEntries(workflow.spec.arguments!.parameters!.map((p) => [p.name, p.value]));
}

async function submitFile(text: string, extra: string[] = []) {
  const file = join(dir, 'wf.yaml');
  writeFileSync(file, text);
  return runThoth(['submit', '-f', file, '--dry-run', 'client', '-o', 'json', ...extra], { env: env() });
}

describe('thoth submit -f', () => {
  it('keeps an unquoted value as written: 3.10 is the version 3.10 (canonical 3.10.0), not the number 3.1', async () => {
    const result = await submitFile(REVSOLVER('3.10'));
    expect(result.code).toBe(0);
    expect(parameters(result.stdout).THOTH_REVSOLVER_PACKAGE_VERSION).toBe('3.10.0');
  });

  it('-p overrides and adds parameters, like argo submit -f -p', async () => {
    const result = await submitFile(REVSOLVER('3.10'), [
      '-p',
      'THOTH_REVSOLVER_PACKAGE_VERSION=4.0.0',
      '-p',
      'THOTH_REVSOLVER_PACKAGE_NAME=idna',
    ]);
    expect(result.code).toBe(0);
    expect(parameters(result.stdout)).toMatchObject({ THOTH_REVSOLVER_PACKAGE_NAME: 'idna', THOTH_REVSOLVER_PACKAGE_VERSION: '4.0.0' });
  });

  it('-f - reads the workflow from stdin', async () => {
    const result = await runThoth(['submit', '-f', '-', '--dry-run', 'client', '-o', 'json'], { env: env(), stdin: REVSOLVER('2.0.0') });
    expect(result.code).toBe(0);
    expect(parameters(result.stdout).THOTH_REVSOLVER_PACKAGE_VERSION).toBe('2.0.0');
  });

  it('refuses a file with several YAML documents, with its own message', async () => {
    const result = await submitFile(`${REVSOLVER()}---\n${REVSOLVER('4.0.0')}`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('holds 2 YAML documents: thoth submits one Workflow per file');
    expect(result.stdout).toBe('');
  });

  it('refuses a cluster-scoped template reference instead of dropping it', async () => {
    const result = await submitFile(REVSOLVER().replace('{name: thoth-revsolver}', '{name: thoth-revsolver, clusterScope: true}'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('spec.workflowTemplateRef.clusterScope is not accepted');
  });

  it('warns about metadata thoth replaces (labels, generateName)', async () => {
    const result = await submitFile(REVSOLVER('3.10', '{generateName: mine-, namespace: thoth, labels: {team: a}}'));
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("warning: the file's metadata.generateName is not used");
    expect(result.stderr).toContain("warning: the file's metadata.labels is not used");
    expect((JSON.parse(result.stdout) as Workflow).metadata.labels.team).toBeUndefined();
  });
});
