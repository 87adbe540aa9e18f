import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeSettings } from '../../src/config/kube.js';
import { findKubeconfig } from '../../src/kube/kubeconfig-source.js';

describe('findKubeconfig', () => {
  it('uses the in-cluster service account when there is no kubeconfig', () => {
    const dir = mkdtempSync(join(tmpdir(), 'thoth-sa-'));
    try {
      const token = join(dir, 'token');
      writeFileSync(token, 'x');
      expect(findKubeconfig({ ...kubeSettings({ HOME: dir, KUBERNETES_SERVICE_HOST: '10.0.0.1' }), tokenPath: token }).kind).toBe(
        'in-cluster',
      );
      expect(() => findKubeconfig({ ...kubeSettings({ HOME: dir }), tokenPath: token })).toThrow(/no Kubernetes cluster is configured/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads every existing file of a KUBECONFIG list', () => {
    const dir = mkdtempSync(join(tmpdir(), 'thoth-kc-'));
    try {
      writeFileSync(join(dir, 'a'), '');
      writeFileSync(join(dir, 'b'), '');
      const source = findKubeconfig({
        ...kubeSettings({ HOME: dir, KUBECONFIG: [join(dir, 'a'), join(dir, 'missing'), join(dir, 'b')].join(':') }),
      });
      expect(source).toMatchObject({ kind: 'files', files: [join(dir, 'a'), join(dir, 'b')] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
