/**
 * What the WorkflowTemplates run and where their images come from.
 *
 * A container without `command` makes Argo's controller look the image's
 * entrypoint up in the image's registry, which fails in an air-gapped cluster
 * ("failed to look-up entrypoint/cmd for image ..."), so every container spells
 * out the command upstream's image runs. Values still reach containers only as
 * environment variables: no script templates, no parameter on a command line.
 * Image defaults name a placeholder registry, never a real registry host.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const deployDir = new URL('../../deploy/', import.meta.url);
const argoFiles = readdirSync(new URL('argo/', deployDir)).filter((f) => f.endsWith('.yaml'));
const read = (path: string) => readFileSync(new URL(path, deployDir), 'utf8');
const templates = argoFiles.map((file) => ({ file, text: read(`argo/${file}`), doc: parseYaml(read(`argo/${file}`)) as Record<string, any> }));
const containersOf = (doc: Record<string, any>): Array<Record<string, any>> => doc.spec.templates.filter((t: any) => t.container).map((t: any) => t.container);

/** Names that look like a host in front of a path but are API groups, label prefixes or documentation the manifests use. */
const NOT_REGISTRIES = new Set([
  'argoproj.io',
  'thoth-station.ninja',
  'app.kubernetes.io',
  'kubernetes.io',
  'kustomize.config.k8s.io',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'prometheus.io',
]);
/** RFC 2606 / RFC 6761 names that can never be a real registry. */
const RESERVED = /(^|\.)(example|invalid|test|localhost)$/;
/** Every `host[:port]/` in a text (how an image reference or a URL names its host) that is neither reserved nor an API group. */
const registryHostsIn = (text: string) =>
  [...text.toLowerCase().matchAll(/\b((?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*)(?::\d+)?\//g)]
    .map((m) => m[1])
    .filter((host) => !RESERVED.test(host) && !NOT_REGISTRIES.has(host));

function deployFiles(dir = ''): string[] {
  return readdirSync(new URL(dir || '.', deployDir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? deployFiles(`${dir}${entry.name}/`) : [`${dir}${entry.name}`],
  );
}

describe('deploy/argo: every container spells out what it runs', () => {
  for (const { file, text, doc } of templates) {
    it(`${file}: every container has a non-empty command of fixed words`, () => {
      const containers = containersOf(doc);
      expect(containers.length).toBeGreaterThan(0);
      for (const c of containers) {
        expect(Array.isArray(c.command) && c.command.length > 0, `${file}: no command`).toBe(true);
        for (const word of [...c.command, ...(c.args ?? [])]) {
          expect(typeof word === 'string' && word.length > 0, `${file}: ${JSON.stringify(word)}`).toBe(true);
          // Parameters reach a container only through its environment, never its command line.
          expect(word, file).not.toMatch(/\{\{/);
        }
        // A shell given a command string would be a script body by another name.
        expect(/(^|\/)(sh|bash|dash|ash|zsh)$/.test(c.command[0]) && [...c.command, ...(c.args ?? [])].includes('-c'), file).toBe(false);
      }
    });

    it(`${file}: has no script template`, () => {
      for (const t of doc.spec.templates) expect(t.script, `${file}: template ${t.name}`).toBeUndefined();
    });

    it(`${file}: says which upstream repository its command comes from`, () => {
      expect(text).toMatch(/^# Command: /m);
      expect(text).toMatch(/^#.*\bthoth-station\/[a-z][a-z-]+/m);
    });

    it(`${file}: every workflow parameter it refers to anywhere is declared`, () => {
      const declared = new Set<string>(doc.spec.arguments.parameters.map((p: { name: string }) => p.name));
      const body = JSON.stringify(doc.spec.templates);
      const referred = [...body.matchAll(/workflow\.parameters\.([A-Za-z0-9_-]+)/g)].map((m) => m[1]);
      expect(referred.length).toBeGreaterThan(0);
      for (const name of referred) expect(declared, `${file}: ${name}`).toContain(name);
    });
  }
});

describe('deploy/argo: images come from one configurable place', () => {
  for (const { file, doc } of templates) {
    it(`${file}: image-repository and image-tag are its first two parameters, the repository a placeholder`, () => {
      // deploy/README.md's kustomize patch addresses them by position.
      const [repository, tag] = doc.spec.arguments.parameters;
      expect(repository.name).toBe('image-repository');
      expect(tag.name).toBe('image-tag');
      expect(tag.value).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
      const host = String(repository.value).split('/')[0];
      expect(host, `${file}: ${repository.value}`).toMatch(RESERVED);
    });

    it(`${file}: every container's image is <image-repository>/<name>:<image-tag>`, () => {
      for (const c of containersOf(doc)) {
        expect(c.image).toMatch(/^\{\{workflow\.parameters\.image-repository\}\}\/[a-z0-9._{}A-Z-]+:\{\{workflow\.parameters\.image-tag\}\}$/);
      }
    });
  }
});

describe("deploy/README.md's image patch", () => {
  /** The JSON-patch operations of the README's kustomize overlay, as kustomize would apply them to every template. */
  const overlay = parseYaml(/```yaml\n(# overlay\/kustomization\.yaml[\s\S]*?)```/.exec(read('README.md'))![1]) as Record<string, any>;
  const [patch] = overlay.patches;
  const operations = parseYaml(patch.patch) as Array<{ op: string; path: string; value: string }>;

  it('targets every WorkflowTemplate and sets both image parameters to new values', () => {
    expect(patch.target).toEqual({ group: 'argoproj.io', kind: 'WorkflowTemplate' });
    for (const { doc } of templates) expect(doc.apiVersion.split('/')[0]).toBe(patch.target.group);
    expect(operations.filter((o) => o.op === 'replace')).toHaveLength(2);
  });

  for (const { file, doc } of templates) {
    it(`${file}: the patch's test operations hold and its replacements land on image-repository and image-tag`, () => {
      const patched = structuredClone(doc);
      for (const { op, path, value } of operations) {
        const keys = path.split('/').slice(1);
        const parent = keys.slice(0, -1).reduce((node: any, key) => node?.[key], patched);
        expect(parent, `${file}: ${path}`).toBeDefined();
        if (op === 'test') expect(parent[keys.at(-1)!], `${file}: ${path}`).toBe(value);
        else if (op === 'replace') parent[keys.at(-1)!] = value;
        else throw new Error(`unexpected operation ${op}`);
      }
      const values = Object.fromEntries(patched.spec.arguments.parameters.map((p: { name: string; value?: string }) => [p.name, p.value]));
      const replaced = operations.filter((o) => o.op === 'replace').map((o) => o.value);
      expect([values['image-repository'], values['image-tag']]).toEqual(replaced);
    });
  }
});

describe('deploy/: no registry host name', () => {
  it('the scan finds a host in an image reference and passes placeholders and API groups', () => {
    expect(registryHostsIn('image: Images.Thoth-Station.Ninja:5000/thoth/adviser:1')).toEqual(['images.thoth-station.ninja']);
    expect(registryHostsIn('image: registry.example/thoth-station/adviser:latest, apiVersion: argoproj.io/v1alpha1, https://index.example/simple')).toEqual([]);
  });

  for (const path of deployFiles().sort()) {
    it(`${path}: every host in front of a path is a placeholder or an API group`, () => {
      expect(registryHostsIn(read(path)), `${path} names a host; use a registry.example placeholder (or add an API group to NOT_REGISTRIES)`).toEqual([]);
    });
  }
});
