/** Where a kubeconfig is looked for (SPEC §4), as the environment says; src/kube/kubeconfig-source.ts follows kubectl's order. */
import { homedir } from 'node:os';

export interface KubeSettings {
  /** KUBECONFIG: a path list. */
  kubeconfigList?: string;
  /** The home directory holding .kube/config. */
  home: string;
  /** KUBERNETES_SERVICE_HOST is set: the in-cluster service account may apply. */
  inCluster: boolean;
  /** THOTH_KUBE_CONTEXT (a context's kube-context): the kubeconfig context when --context names none. */
  context?: string;
}

export function kubeSettings(env: NodeJS.ProcessEnv): KubeSettings {
  return {
    ...(env.KUBECONFIG ? { kubeconfigList: env.KUBECONFIG } : {}),
    home: env.HOME || env.USERPROFILE || homedir(),
    inCluster: Boolean(env.KUBERNETES_SERVICE_HOST),
    ...(env.THOTH_KUBE_CONTEXT ? { context: env.THOTH_KUBE_CONTEXT } : {}),
  };
}
