/**
 * The Containerfile, deploy/investigator/deployment.yaml and deploy/kustomization.yaml agree on the
 * image: its name and version, its user, where the cache lives. Static checks; test/image/ builds
 * and runs the image itself.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const { version } = JSON.parse(read('package.json')) as { version: string };
const containerfile = read('Containerfile');
const kustomization = parseYaml(read('deploy/kustomization.yaml'));
const pod = parseYaml(read('deploy/investigator/deployment.yaml')).spec.template.spec;
const [container] = pod.containers;

/** The value of an instruction's key, e.g. `ARG VERSION=0.1.0` or `ENV THOTH_HOME=/var/lib/thoth`. */
function instruction(keyword: string, key: string) {
  const match = new RegExp(`^${keyword}\\s[^\\n]*?\\b${key}=(\\S+)`, 'm').exec(containerfile.replaceAll('\\\n', ' '));
  return match?.[1];
}

describe('the image deploy/ names is the one the Containerfile builds', () => {
  it('version: the Containerfile default, the Deployment tag and kustomize newTag all equal package.json', () => {
    expect(instruction('ARG', 'VERSION')).toBe(version);
    expect(container.image).toBe(`localhost/thoth:${version}`);
    const entry = kustomization.images.find((i: { name: string }) => i.name === container.image.split(':')[0]);
    expect(entry, 'kustomize images: entry for the Deployment image').toBeDefined();
    expect(entry.newTag).toBe(version);
  });

  it('user: the image runs as 65532:65532 and the Deployment asks for the same, numerically', () => {
    expect(containerfile).toMatch(/^USER 65532:65532$/m);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 });
  });

  it('cache: THOTH_HOME is the image volume and the Deployment mounts a volume there', () => {
    const home = instruction('ENV', 'THOTH_HOME');
    expect(home).toBe('/var/lib/thoth');
    expect(containerfile).toMatch(new RegExp(`^VOLUME ${home}$`, 'm'));
    expect(container.env).toContainEqual({ name: 'THOTH_HOME', value: home });
    expect(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain(home);
  });

  it('the container runs with a read-only root, no capabilities and no privilege escalation (what test/image runs it with)', () => {
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  it('thoth is the entrypoint, so the Deployment passes only its arguments', () => {
    expect(containerfile).toMatch(/^ENTRYPOINT \["thoth"\]$/m);
    expect(container.command).toBeUndefined();
    expect(container.args[0]).toBe('investigate');
  });
});
