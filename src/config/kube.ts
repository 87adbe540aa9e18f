/** Where a kubeconfig is looked for (SPEC §4), as the environment says; src/kube/kubeconfig-source.ts follows kubectl's order. */
import { homedir } from 'node:os';

export interface KubeSettings {
  /** KUBECONFIG: a path list. */
  kubeconfigList?: string;
  /** The home directory holding .kube/config. */
  home: string;
  /** KUBERNETES_SERVICE_HOST is set: the in-cluster service account may apply. */
  inCluster: boolean;
}

export function kubeSettings(env: NodeJS.ProcessEnv): KubeSettings {
  return {
    ...(env.KUBECONFIG ? { kubeconfigList: env.KUBECONFIG } : {}),
    home: env.HOME || env.USERPROFILE || homedir(),
    inCluster: Boolean(env.KUBERNETES_SERVICE_HOST),
  };
}
