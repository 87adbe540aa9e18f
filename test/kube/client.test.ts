/**
 * How connectKube finds (or does not find) a cluster, before any request: the kubeconfig sources
 * in kubectl's order, a missing file, a missing context. Everything that talks to an API server
 * is in test/cluster/kube-client.test.ts, against the real one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { connectKube } from '../../src/kube/client.js';
import { kubeSettings } from '../../src/config/kube.js';

/** A kubeconfig for a server nobody contacts here (context "loopback"); the token must never show. */
const TOKEN = 'test-token-0123456789abcdef';
function writeKubeconfig(path: string): string {
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: loopback',
      '  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}',
      'users:',
      `- name: tester`,
      `  user: {token: ${TOKEN}}`,
      'contexts:',
      '- name: loopback',
      '  context: {cluster: loopback, user: tester, namespace: thoth}',
      'current-context: loopback',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return path;
}

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, notice: (t) => lines.push(t), warn: (t) => lines.push(t), debug: (t) => lines.push(t) };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-kube-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function expectUserError(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

describe('connectKube finding its cluster', () => {
  it('says so when KUBECONFIG names a missing file (never localhost:8080)', async () => {
    const error = await expectUserError(
      connectKube({ cluster: kubeSettings({ KUBECONFIG: join(dir, 'missing'), HOME: dir }), log: recordingLog() }),
    );
    expect(error.message).toContain('no Kubernetes cluster is configured');
    expect(error.message).toContain(join(dir, 'missing'));
    expect(error.hint).toContain('localhost:8080');
  });

  it('says so when there is no KUBECONFIG, no ~/.kube/config and no service account', async () => {
    const error = await expectUserError(connectKube({ cluster: kubeSettings({ HOME: dir }), log: recordingLog() }));
    expect(error.message).toContain('no Kubernetes cluster is configured');
    expect(error.message).toContain(join(dir, '.kube', 'config'));
  });

  it('names a --kubeconfig that does not exist, and a --context that the file lacks', async () => {
    const missing = await expectUserError(
      connectKube({ cluster: kubeSettings({ HOME: dir }), log: recordingLog(), kubeconfig: join(dir, 'nope.yaml') }),
    );
    expect(missing.message).toContain('nope.yaml');
    const path = writeKubeconfig(join(dir, 'kubeconfig'));
    const context = await expectUserError(
      connectKube({ cluster: kubeSettings({ HOME: dir }), log: recordingLog(), kubeconfig: path, context: 'prod' }),
    );
    expect(context.message).toContain('no context "prod"');
    expect(context.hint).toBe('contexts: loopback');
  });

  it('finds ~/.kube/config when KUBECONFIG is unset', async () => {
    mkdirSync(join(dir, '.kube'));
    writeKubeconfig(join(dir, '.kube', 'config'));
    const kube = await connectKube({ cluster: kubeSettings({ HOME: dir }), log: recordingLog() });
    expect(kube.description).toBe('loopback@https://127.0.0.1:1');
    expect(kube.defaultNamespace).toEqual({ namespace: 'thoth', from: 'the kubeconfig context loopback' });
    expect(kube.description).not.toContain(TOKEN);
  });
});
