/**
 * A cluster thoth cannot use, against the real API server: no cluster configured, a context the
 * kubeconfig lacks, a revoked token (401), a ServiceAccount without the RoleBinding (403), a
 * namespace that does not exist, a CA that did not sign the server's certificate. `thoth submit`
 * and `thoth investigate --workflows cluster` each say in one line what is wrong and what to do,
 * exit 1 at once (nothing retried), and the investigator commits nothing: the message stays
 * unprocessed, no dead letter, no knowledge, and the next run after the fix handles it once.
 * (Argo missing and an older Argo's CRD: argo-missing.test.ts, on an API server of their own.)
 */
import { execFileSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  adminKubeconfig,
  applyDeploy,
  createNamespace,
  kubeconfigForToken,
  kubectlOk,
  listWorkflows,
  serviceAccountToken,
  writeKubeconfigFile,
} from '../support/cluster.js';
import { INDEX, ONE_SOLVER, expectNothingCommitted, expectRefusal, machine } from '../support/cluster-runs.js';

const TIMEOUT = 120_000;

interface BadCluster {
  /** Extra environment and arguments of both commands while the cluster is unusable. */
  env: NodeJS.ProcessEnv;
  args: string[];
  what: RegExp;
  todo: RegExp;
  /** Secrets that must never be printed. */
  secrets?: string[];
  /** Makes it usable; returns the environment and arguments that then work. */
  fix(): Promise<{ env: NodeJS.ProcessEnv; args: string[] }>;
}

/** A CA of its own, that signed nothing the API server presents. */
function strangerCa(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'thoth-stranger-ca-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=not-the-cluster-ca',
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  return readFileSync(join(dir, 'ca.crt'));
}

const admin = () => parseYaml(readFileSync(adminKubeconfig(), 'utf8')) as { clusters: Array<{ cluster: { server: string } }> };

const CASES: Record<string, (namespace: string) => Promise<BadCluster>> = {
  'no cluster configured': async (namespace) => ({
    env: {},
    args: ['--namespace', namespace],
    what: /^error: no Kubernetes cluster is configured \(no KUBECONFIG, no \S+\/\.kube\/config, not in a cluster\)$/,
    todo: /set KUBECONFIG, create ~\/\.kube\/config, pass --kubeconfig FILE, or run inside a cluster/,
    fix: async () => ({ env: { KUBECONFIG: adminKubeconfig() }, args: ['--namespace', namespace] }),
  }),

  'a context the kubeconfig lacks': async (namespace) => ({
    env: { KUBECONFIG: adminKubeconfig() },
    args: ['--namespace', namespace, '--context', 'staging'],
    what: /^error: no context "staging" in \S+admin\.kubeconfig \(KUBECONFIG\)$/,
    todo: /^hint: contexts: thoth-loopback$/,
    fix: async () => ({ env: { KUBECONFIG: adminKubeconfig() }, args: ['--namespace', namespace, '--context', 'thoth-loopback'] }),
  }),

  'a revoked token (401)': async (namespace) => {
    // A real token of a ServiceAccount that is deleted afterwards: the server no longer accepts it.
    await kubectlOk(['create', 'serviceaccount', 'gone', '-n', namespace]);
    const token = await serviceAccountToken(namespace, 'gone');
    await kubectlOk(['delete', 'serviceaccount', 'gone', '-n', namespace]);
    return {
      env: { KUBECONFIG: kubeconfigForToken(token, namespace) },
      args: ['--namespace', namespace],
      what: /^error: creating workflow \S+ in namespace \S+: the API server https:\/\/127\.0\.0\.1:\d+ did not accept the token of user "token" \(kubeconfig context token\) \(401 Unauthorized\)$/,
      todo: /^hint: it may have expired or been revoked: renew it/,
      secrets: [token],
      fix: async () => ({ env: { KUBECONFIG: adminKubeconfig() }, args: ['--namespace', namespace] }),
    };
  },

  'a ServiceAccount without the RoleBinding (403)': async (namespace) => {
    // deploy/ applied, its investigator RoleBinding removed: the ServiceAccount is there, its grant is not.
    await kubectlOk(['delete', 'rolebinding', 'thoth-investigator-workflows', '-n', namespace]);
    const token = await serviceAccountToken(namespace, 'thoth-investigator');
    const kubeconfig = kubeconfigForToken(token, namespace);
    return {
      env: { KUBECONFIG: kubeconfig },
      args: ['--namespace', namespace],
      what: new RegExp(
        `^error: creating workflow \\S+ in namespace ${namespace}: workflows\\.argoproj\\.io is forbidden: User "system:serviceaccount:${namespace}:thoth-investigator" cannot create resource "workflows" in API group "argoproj\\.io" in the namespace "${namespace}" \\(403 Forbidden; credential: the token of user "token" \\(kubeconfig context token\\)\\)$`,
      ),
      todo: new RegExp(
        `^hint: grant the verb create on workflows\\.argoproj\\.io in namespace ${namespace} .*kubectl auth can-i create workflows\\.argoproj\\.io -n ${namespace}$`,
      ),
      secrets: [token],
      // deploy/ binds the Role to this very ServiceAccount: the same token works from then on.
      fix: async () => {
        await applyDeploy(namespace);
        return { env: { KUBECONFIG: kubeconfig }, args: ['--namespace', namespace] };
      },
    };
  },

  'a namespace that does not exist': async (namespace) => {
    const missing = `${namespace}-missing`;
    return {
      env: { KUBECONFIG: adminKubeconfig() },
      args: ['--namespace', missing],
      what: new RegExp(
        `^error: creating workflow \\S+ in namespace ${missing}: namespace ${missing} does not exist in the cluster at https://127\\.0\\.0\\.1:\\d+$`,
      ),
      todo: new RegExp(`^hint: create it \\(kubectl create namespace ${missing}\\) or choose another with --namespace$`),
      fix: async () => {
        await kubectlOk(['create', 'namespace', missing]);
        return { env: { KUBECONFIG: adminKubeconfig() }, args: ['--namespace', missing] };
      },
    };
  },

  'a CA that did not sign the server certificate': async (namespace) => {
    const kubeconfig = writeKubeconfigFile({
      server: admin().clusters[0].cluster.server,
      ca: strangerCa(),
      token: 'never-sent-0000',
      context: 'wrong-ca',
    });
    return {
      env: { KUBECONFIG: kubeconfig },
      args: ['--namespace', namespace],
      what: /^error: creating workflow \S+ in namespace \S+: cannot verify the certificate of the API server https:\/\/127\.0\.0\.1:\d+: .+ \(checked against the CA data in the kubeconfig \(cluster wrong-ca\)\)$/,
      todo: /^hint: the kubeconfig's certificate-authority must be the CA that signed the API server's certificate/,
      fix: async () => ({ env: { KUBECONFIG: adminKubeconfig() }, args: ['--namespace', namespace] }),
    };
  },
};

describe.each(Object.keys(CASES))('%s', (name) => {
  it('thoth submit: one line saying what is wrong and what to do, exit 1, nothing created', { timeout: TIMEOUT }, async () => {
    const namespace = await createNamespace('bad-submit');
    await applyDeploy(namespace);
    const bad = await CASES[name](namespace);
    const m = machine({ ...ONE_SOLVER, ...bad.env });
    const began = Date.now();
    const refused = await m.thoth(['submit', 'revsolver', 'six==1.16.0', ...bad.args]);
    expectRefusal(refused, bad.what, bad.todo);
    // Refused at once: not one of these is worth a retry.
    expect(Date.now() - began).toBeLessThan(5_000);
    for (const secret of bad.secrets ?? []) expect(refused.stdout + refused.stderr).not.toContain(secret);
    expect(await listWorkflows(namespace)).toEqual([]);

    const fixed = await bad.fix();
    const ok = await machine({ ...ONE_SOLVER, ...fixed.env }).thoth(['submit', 'revsolver', 'six==1.16.0', ...fixed.args]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^workflow\.argoproj\.io\/revsolver-six-1-16-0-\S+ created\n$/);
  });

  it(
    'thoth investigate --workflows cluster: stops at once, commits nothing, dead-letters nothing; the run after the fix handles the message once',
    { timeout: TIMEOUT },
    async () => {
      const namespace = await createNamespace('bad-investigate');
      await applyDeploy(namespace);
      const bad = await CASES[name](namespace);
      const m = machine({ ...ONE_SOLVER, ...bad.env });
      expect((await m.publish('unresolved-package', 'six==1.16.0', '--index-url', INDEX)).code).toBe(0);

      const refused = await m.investigate(bad.args);
      expectRefusal(refused, bad.what, bad.todo);
      expect(refused.events.filter((e) => e.event === 'processed' || e.event === 'dead-letter')).toEqual([]);
      for (const secret of bad.secrets ?? []) expect(refused.stdout + refused.stderr).not.toContain(secret);
      await expectNothingCommitted(m);

      const fixed = await bad.fix();
      const again = await m.investigate(fixed.args.concat(fixed.env.KUBECONFIG ? ['--kubeconfig', fixed.env.KUBECONFIG] : []));
      expect(again.code, again.stderr).toBe(0);
      expect(again.summary?.counts).toMatchObject({ received: 1, processed: 1, deadLetters: 0, workflowsScheduled: 1 });
      expect(await m.query('dead-letters')).toEqual([]);
      const target = fixed.args[fixed.args.indexOf('--namespace') + 1];
      expect((await listWorkflows(target)).map((w) => w.metadata.labels.component)).toEqual(['solver']);
    },
  );
});

describe('a context whose cluster is not running', () => {
  /** A kubeconfig like the admin's whose server is a port nothing listens on. */
  async function downKubeconfig(): Promise<{ kubeconfig: string; server: string }> {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const server = `https://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const ca = Buffer.from(
      (parseYaml(readFileSync(adminKubeconfig(), 'utf8')) as { clusters: Array<{ cluster: Record<string, string> }> }).clusters[0].cluster[
        'certificate-authority-data'
      ],
      'base64',
    );
    return { kubeconfig: writeKubeconfigFile({ server, ca, token: 'unused-0000', context: 'staging' }), server };
  }

  it('thoth submit tries a few times, then names the server it could not reach', { timeout: TIMEOUT }, async () => {
    const namespace = await createNamespace('down-submit');
    const down = await downKubeconfig();
    const result = await machine({ ...ONE_SOLVER, KUBECONFIG: down.kubeconfig }).thoth([
      'submit',
      'revsolver',
      'six==1.16.0',
      '--namespace',
      namespace,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.match(/retrying in \d+ ms/g)).toHaveLength(5);
    expect(result.stderr).toContain(`error: creating workflow revsolver-six-1-16-0-`);
    expect(result.stderr).toMatch(
      new RegExp(`: connection to the API server ${down.server} failed \\(ECONNREFUSED\\) \\(gave up after 6 attempts\\)\n$`),
    );
  });

  it(
    'thoth investigate holds the message back while retrying (no message is to blame), commits nothing when stopped, and handles it once the cluster answers',
    { timeout: TIMEOUT },
    async () => {
      const namespace = await createNamespace('down-investigate');
      await applyDeploy(namespace);
      const down = await downKubeconfig();
      const m = machine({ ...ONE_SOLVER, KUBECONFIG: down.kubeconfig });
      expect((await m.publish('unresolved-package', 'six==1.16.0', '--index-url', INDEX)).code).toBe(0);
      // The client tries 6 times in about 8 s before the record itself is retried: stop after the first of those.
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort('SIGTERM'), 12_000);
      const held = await m
        .investigate(['--namespace', namespace], { idleSeconds: null, signal: stop.signal })
        .finally(() => clearTimeout(timer));
      expect(held.code, held.stderr).toBe(0);
      const retries = held.events.filter((e) => e.event === 'retry');
      expect(retries.length).toBeGreaterThan(0);
      expect(retries[0].reason).toContain(`connection to the API server ${down.server} failed (ECONNREFUSED)`);
      expect(held.events.filter((e) => e.event === 'processed' || e.event === 'dead-letter')).toEqual([]);
      expect(held.events.at(-1)).toMatchObject({ event: 'stopped', reason: 'signal', received: 1, deadLetters: 0 });
      await expectNothingCommitted(m);

      const again = await m.investigate(['--namespace', namespace, '--kubeconfig', adminKubeconfig()]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.summary?.counts).toMatchObject({ received: 1, processed: 1, deadLetters: 0, workflowsScheduled: 1 });
      expect((await listWorkflows(namespace)).map((w) => w.metadata.labels.component)).toEqual(['solver']);
    },
  );
});
