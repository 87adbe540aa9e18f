/**
 * A kubeconfig that exists but defines nothing gets thoth's own message,
 * not the client library's TypeError.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-submit-kubeconfig-'));
  mkdirSync(join(dir, '.kube'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const submit = () =>
  runThoth(['submit', 'revsolver', 'chardet==4.0.0', '--namespace', 'thoth'], { env: cleanEnv({ HOME: dir, THOTH_HOME: dir }) });

it('an empty ~/.kube/config: says it is empty', async () => {
  writeFileSync(join(dir, '.kube', 'config'), '');
  const result = await submit();
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`the kubeconfig ${join(dir, '.kube', 'config')} is empty: it defines no cluster`);
  expect(result.stderr).not.toContain('Cannot read properties');
});

it('a kubeconfig without clusters: says it has none', async () => {
  writeFileSync(join(dir, '.kube', 'config'), 'apiVersion: v1\nkind: Config\n');
  const result = await submit();
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('has no clusters');
});
