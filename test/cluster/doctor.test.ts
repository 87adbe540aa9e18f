/**
 * `thoth doctor` against real Kafka and the real loopback cluster, as the
 * investigator's ServiceAccount: every check ✔ when deploy/ is applied, the
 * RBAC line ✘ naming the verb a Role lacks, and Argo's CRDs ✘ on an API
 * server without Argo.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';
import { applyDeploy, createNamespace, kubeconfigForToken, serviceAccountToken, startBareCluster } from '../support/cluster.js';
import { kafkaBootstrap } from '../support/kafka.js';
import { KAFKA_VERSION } from '../../scripts/kafka.mjs';
import { expectBrokerClock } from '../support/clock.js';

const INDEX = 'https://index.example/simple';
const TIMEOUT = 180_000;
const work = mkdtempSync(join(tmpdir(), 'thoth-doctor-cluster-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  ok: boolean;
  checks: Array<{ name: string; status: string; detail: string; fix?: string }>;
}

async function doctorAs(kubeconfig: string, namespace: string, deployment: string) {
  const env = cleanEnv({
    HOME: work,
    KUBECONFIG: kubeconfig,
    KAFKA_BOOTSTRAP_SERVERS: kafkaBootstrap(),
    THOTH_INDEX_URLS: INDEX,
    THOTH_MIDDLETIER_NAMESPACE: namespace,
    THOTH_BACKEND_NAMESPACE: namespace,
  });
  const args = ['--db', join(work, `${deployment}.db`), '--deployment-name', deployment];
  expect((await runThoth([...args, 'topics', 'create'], { env })).code).toBe(0);
  const run = await runThoth([...args, 'doctor', '-o', 'json'], { env });
  const report = JSON.parse(run.stdout) as Report;
  return { code: run.code, report, check: (name: string) => report.checks.find((c) => c.name === name)! };
}

const deploymentName = () => `doc${Math.random().toString(36).slice(2, 8)}`;

describe('thoth doctor on Kafka and the loopback cluster', () => {
  it(
    'passes every check as the investigator ServiceAccount with deploy/ applied',
    async () => {
      const namespace = await createNamespace('doctor');
      await applyDeploy(namespace, { containerCommand: ['/bin/true'] });
      const kubeconfig = kubeconfigForToken(await serviceAccountToken(namespace, 'thoth-investigator'), namespace);
      const { code, report, check } = await doctorAs(kubeconfig, namespace, deploymentName());
      expect(report.checks.map((c) => [c.name, c.status])).toEqual([
        ['broker', 'ok'],
        ['topics', 'ok'],
        ['consumer lag', 'ok'],
        ['broker clock', 'ok'],
        // Kafka is the broker and nothing has run yet: no cache, a neutral line.
        ['cache', 'skip'],
        ['indexes', 'ok'],
        ['kube context', 'ok'],
        ['argo CRDs', 'ok'],
        ['RBAC', 'ok'],
        ['clock', 'ok'],
      ]);
      expect(code).toBe(0);
      expect(check('broker').detail).toMatch(
        new RegExp(
          `^kafka://${kafkaBootstrap()} reachable: Kafka ${KAFKA_VERSION.split('.').slice(0, 2).join('\\.')} cluster \\S+, 1 broker, controller \\d+$`,
        ),
      );
      expect(check('topics').detail).toMatch(/^all 21 present; 1 partition each, compression /);
      expect(check('kube context').detail).toMatch(/: Kubernetes v1\.\d+\.\d+/);
      expect(check('RBAC').detail).toBe(`may create, get, list workflows in ${namespace}`);
      expect(check('clock').detail).toMatch(/^this machine's clock is \d+\.\d s (behind|ahead of) the API server's$/);
      expect(check('clock')).toMatchObject({ aheadMs: expect.any(Number), boundMs: 1000 });
      expectBrokerClock(check('broker clock').detail);
    },
    TIMEOUT,
  );

  it(
    'names the verb the Role lacks, with the fix',
    async () => {
      const namespace = await createNamespace('doctor-rbac');
      await applyDeploy(namespace, { investigatorVerbs: ['create', 'get'], containerCommand: ['/bin/true'] });
      const kubeconfig = kubeconfigForToken(await serviceAccountToken(namespace, 'thoth-investigator'), namespace);
      const { code, check } = await doctorAs(kubeconfig, namespace, deploymentName());
      expect(code).toBe(1);
      expect(check('RBAC')).toEqual({
        name: 'RBAC',
        status: 'fail',
        detail: `may not list in ${namespace} (workflows.argoproj.io)`,
        fix: 'kubectl apply -n NAMESPACE -f deploy/investigator/role.yaml -f deploy/investigator/rolebinding.yaml',
      });
    },
    TIMEOUT,
  );

  it(
    'says Argo is missing on an API server without its CRDs',
    async () => {
      const bare = await startBareCluster();
      try {
        await bare.kubectl(['create', 'namespace', 'thoth']);
        const { code, check } = await doctorAs(bare.adminKubeconfig, 'thoth', deploymentName());
        expect(code).toBe(1);
        expect(check('argo CRDs')).toMatchObject({
          status: 'fail',
          detail: 'workflows.argoproj.io and workflowtemplates.argoproj.io not served by the API server',
        });
        expect(check('RBAC').status).toBe('ok');
      } finally {
        await bare.stop();
      }
    },
    TIMEOUT,
  );
});
