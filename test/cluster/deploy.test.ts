/**
 * `kubectl apply -k deploy/` as deploy/README.md tells users to run it, against the real API
 * server with Argo's full-schema CRDs: accepted with strict field validation and not one warning.
 * The kustomization names its namespace (`thoth`); only this file uses it.
 */
import { describe, expect, it } from 'vitest';
import { kubectl, kubectlOk } from '../support/cluster.js';

const DEPLOY = new URL('../../deploy/', import.meta.url).pathname;

describe('kubectl apply -k deploy/ against the real API server', () => {
  it('is accepted by a server-side dry run and then for real, strictly validated, without a warning', { timeout: 60_000 }, async () => {
    await kubectlOk(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: thoth\n' });

    const dryRun = await kubectl(['apply', '-k', DEPLOY, '--dry-run=server', '--validate=strict']);
    expect(dryRun.stderr).toBe('');
    expect(dryRun.code).toBe(0);

    const applied = await kubectl(['apply', '-k', DEPLOY, '--validate=strict']);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);

    // Everything the kustomization renders now exists where it says.
    const rendered = (await kubectlOk(['kustomize', DEPLOY])).match(/^kind: /gm)!.length;
    const stored = (await kubectlOk(['get', '-k', DEPLOY, '-o', 'name'])).trim().split('\n');
    expect(stored).toHaveLength(rendered);
    expect(stored).toEqual(
      expect.arrayContaining([
        'workflowtemplate.argoproj.io/thoth-solver',
        'role.rbac.authorization.k8s.io/thoth-investigator-workflows',
        'deployment.apps/thoth-investigator',
      ]),
    );

    // Applying again changes nothing.
    const again = await kubectl(['apply', '-k', DEPLOY, '--validate=strict']);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
    expect(
      again.stdout
        .trim()
        .split('\n')
        .every((line) => line.endsWith(' unchanged')),
    ).toBe(true);
  });

  it('binds the RoleBindings to the ServiceAccounts in the kustomization namespace', { timeout: 60_000 }, async () => {
    await kubectlOk(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: thoth\n' });
    await kubectlOk(['apply', '-k', DEPLOY]);
    for (const [account, verb, resource] of [
      ['thoth-investigator', 'create', 'workflows.argoproj.io'],
      ['thoth-workflow', 'patch', 'workflowtaskresults.argoproj.io'],
    ] as const) {
      const answer = await kubectl(['auth', 'can-i', verb, resource, '-n', 'thoth', '--as', `system:serviceaccount:thoth:${account}`]);
      expect(answer.stdout.trim(), `${account} ${verb} ${resource}`).toBe('yes');
    }
  });
});
