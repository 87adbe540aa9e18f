/**
 * The wrapper module scripts/kube/build.mjs generates to build kube-apiserver and kubectl from
 * k8s.io/kubernetes: the staging modules come from k8s.io/kubernetes' own go.mod, each pinned to
 * the published module of the same name at v0.<minor>.<patch>.
 */
import { describe, expect, it } from 'vitest';
import { stagingModules, wrapperGoMod } from '../../scripts/kube/build.mjs';

// An excerpt in the shape of k8s.io/kubernetes v1.35.4's go.mod.
const KUBERNETES_GO_MOD = `module k8s.io/kubernetes

go 1.25.0

require (
	k8s.io/api v0.0.0
	k8s.io/klog/v2 v2.130.1
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/apiextensions-apiserver => ./staging/src/k8s.io/apiextensions-apiserver
	k8s.io/cri-client => ./staging/src/k8s.io/cri-client
)

replace github.com/example/forked => github.com/example/forked v1.2.3
`;

describe('the kube-apiserver wrapper module', () => {
  it('takes the staging modules from the ./staging replacements of k8s.io/kubernetes, and nothing else', () => {
    expect(stagingModules(KUBERNETES_GO_MOD)).toEqual(['k8s.io/api', 'k8s.io/apiextensions-apiserver', 'k8s.io/cri-client']);
  });

  it('requires k8s.io/kubernetes and pins each staging module to the matching v0 release', () => {
    const goMod = wrapperGoMod(['k8s.io/api', 'k8s.io/cri-client'], 'v1.35.4');
    expect(goMod).toMatch(/^require k8s\.io\/kubernetes v1\.35\.4$/m);
    expect(goMod).toMatch(/^\tk8s\.io\/api => k8s\.io\/api v0\.35\.4$/m);
    expect(goMod).toMatch(/^\tk8s\.io\/cri-client => k8s\.io\/cri-client v0\.35\.4$/m);
    expect(goMod).not.toMatch(/staging/);
  });
});
