/**
 * Where the cluster configuration comes from, in kubectl's order: --kubeconfig,
 * KUBECONFIG (a path list), ~/.kube/config, the in-cluster service account.
 * When none applies this says so: thoth never falls back to localhost:8080.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { KubeSettings } from '../config/kube.js';
import { UserError } from '../core/errors.js';

export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type KubeconfigSource = { kind: 'files'; files: string[]; origin: string } | { kind: 'in-cluster'; origin: string };

const NO_CLUSTER_HINT =
  'set KUBECONFIG, create ~/.kube/config, pass --kubeconfig FILE, or run inside a cluster with a service account (thoth does not guess localhost:8080)';

export function findKubeconfig(options: KubeSettings & { kubeconfig?: string; tokenPath?: string }): KubeconfigSource {
  if (options.kubeconfig) {
    if (!existsSync(options.kubeconfig)) throw new UserError(`the kubeconfig ${options.kubeconfig} (--kubeconfig) does not exist`);
    return { kind: 'files', files: [options.kubeconfig], origin: `${options.kubeconfig} (--kubeconfig)` };
  }
  if (options.kubeconfigList) {
    const files = options.kubeconfigList.split(delimiter).filter((f) => f && existsSync(f));
    if (files.length === 0) {
      throw new UserError(
        `no Kubernetes cluster is configured: KUBECONFIG names no existing file (${options.kubeconfigList})`,
        NO_CLUSTER_HINT,
      );
    }
    return { kind: 'files', files, origin: `${files.join(delimiter)} (KUBECONFIG)` };
  }
  const userConfig = join(options.home, '.kube', 'config');
  if (existsSync(userConfig)) return { kind: 'files', files: [userConfig], origin: userConfig };
  if (options.inCluster && existsSync(options.tokenPath ?? SERVICE_ACCOUNT_TOKEN)) {
    return { kind: 'in-cluster', origin: 'the in-cluster service account' };
  }
  throw new UserError(`no Kubernetes cluster is configured (no KUBECONFIG, no ${userConfig}, not in a cluster)`, NO_CLUSTER_HINT);
}
