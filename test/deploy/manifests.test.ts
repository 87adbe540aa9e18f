import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildWorkflow } from '../../src/workflows/build.js';
import { KIND_SPECS, secretParameterNames } from '../../src/workflows/kinds.js';
import { WORKFLOW_KINDS, type WorkflowKind } from '../../src/workflows/types.js';

const deploy = (path: string) => new URL(`../../deploy/${path}`, import.meta.url);
const load = (path: string) => parseYaml(readFileSync(deploy(path), 'utf8')) as Record<string, any>;
const SAMPLES = JSON.parse(readFileSync(new URL('../../fixtures/workflows/requests.json', import.meta.url), 'utf8')) as Record<WorkflowKind, Record<string, string>>;

describe('deploy/argo WorkflowTemplates', () => {
  const templates = readdirSync(deploy('argo'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => load(`argo/${f}`));

  it('has exactly one template per kind', () => {
    expect(templates.map((t) => t.metadata.labels.component).sort()).toEqual([...WORKFLOW_KINDS].sort());
    for (const t of templates) expect(t).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTemplate' });
  });

  for (const kind of WORKFLOW_KINDS) {
    it(`${kind}: the template the builder references declares every parameter the builder sends`, () => {
      const secretEnv = KIND_SPECS.get(kind)!.secretEnv ?? [];
      const secretRefs = Object.fromEntries(secretEnv.map((env) => [env, { secret: 'creds', key: 'auth' }]));
      const workflow = buildWorkflow({ kind, parameters: SAMPLES[kind], secretRefs }, { namespace: 'thoth' });
      const template = templates.find((t) => t.metadata.name === workflow.spec.workflowTemplateRef!.name);
      expect(template, `no template named ${workflow.spec.workflowTemplateRef!.name}`).toBeDefined();
      const declared = new Set<string>(template!.spec.arguments.parameters.map((p: { name: string }) => p.name));
      for (const p of workflow.spec.arguments!.parameters!) expect(declared, `${p.name} not declared`).toContain(p.name);
      for (const env of secretEnv) {
        expect(declared).toContain(secretParameterNames(env).secret);
        expect(declared).toContain(secretParameterNames(env).key);
      }
    });

    it(`${kind}: runs a container whose image is a parameter, with resource requests, a TTL strategy, values only as env`, () => {
      const template = templates.find((t) => t.metadata.labels.component === kind)!;
      const declared = new Set<string>(template.spec.arguments.parameters.map((p: { name: string }) => p.name));
      const containers = template.spec.templates.filter((t: any) => t.container).map((t: any) => t.container);
      expect(containers.length).toBeGreaterThan(0);
      expect(template.spec.ttlStrategy.secondsAfterCompletion).toBeGreaterThan(0);
      for (const c of containers) {
        expect(c.image).toMatch(/\{\{workflow\.parameters\.[a-z-]+\}\}/);
        expect(c.resources.requests.cpu).toBeDefined();
        expect(c.resources.requests.memory).toBeDefined();
        // Every reference to a workflow parameter names a declared one.
        for (const [, name] of JSON.stringify(c).matchAll(/\{\{workflow\.parameters\.([A-Za-z0-9_-]+)\}\}/g)) expect(declared).toContain(name);
      }
      for (const t of template.spec.templates) expect(t.script).toBeUndefined();
    });
  }
});

describe('deploy/workflow-executor: the identity workflow pods run as', () => {
  const account = load('workflow-executor/serviceaccount.yaml');
  const role = load('workflow-executor/role.yaml');
  const binding = load('workflow-executor/rolebinding.yaml');

  it('the Role grants exactly create/patch on workflowtaskresults.argoproj.io (what the Argo >= 3.4 executor reports through)', () => {
    expect(role.kind).toBe('Role');
    expect(role.rules).toEqual([{ apiGroups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] }]);
  });

  it('the RoleBinding gives that Role to the executor ServiceAccount', () => {
    expect(account.kind).toBe('ServiceAccount');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    expect(binding.subjects).toHaveLength(1);
    expect(binding.subjects[0]).toMatchObject({ kind: 'ServiceAccount', name: account.metadata.name });
  });

  it('every WorkflowTemplate runs its pods as that ServiceAccount, not the namespace default', () => {
    const names = readdirSync(deploy('argo')).filter((f) => f.endsWith('.yaml'));
    expect(names).toHaveLength(WORKFLOW_KINDS.length);
    for (const f of names) expect(load(`argo/${f}`).spec.serviceAccountName, f).toBe(account.metadata.name);
  });
});

describe('deploy/kustomization.yaml', () => {
  const kustomization = load('kustomization.yaml');
  const manifests = (dir: string) => readdirSync(deploy(dir)).filter((f) => f.endsWith('.yaml')).map((f) => `${dir}/${f}`);

  it('sets one namespace and lists every manifest under deploy/', () => {
    expect(kustomization.namespace).toMatch(/^[a-z0-9-]+$/);
    const all = [...manifests('argo'), ...manifests('investigator'), ...manifests('workflow-executor')];
    expect([...kustomization.resources].sort()).toEqual(all.sort());
  });

  it('points each RoleBinding subject at its ServiceAccount in that namespace', () => {
    for (const dir of ['investigator', 'workflow-executor']) {
      const binding = load(`${dir}/rolebinding.yaml`);
      const account = load(`${dir}/serviceaccount.yaml`);
      const replacement = kustomization.replacements.find((r: any) => r.source.kind === 'ServiceAccount' && r.source.name === account.metadata.name);
      expect(replacement, dir).toBeDefined();
      expect(replacement.source.fieldPath).toBe('metadata.namespace');
      expect(replacement.targets).toEqual([{ select: { kind: 'RoleBinding', name: binding.metadata.name }, fieldPaths: ['subjects.0.namespace'] }]);
    }
  });
});

describe('deploy/investigator', () => {
  it('the Role grants exactly create/get/list on workflows.argoproj.io (test/cluster/rbac-investigator.test.ts shows each is needed)', () => {
    const role = load('investigator/role.yaml');
    expect(role.kind).toBe('Role');
    expect(role.rules).toEqual([{ apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['create', 'get', 'list'] }]);
  });

  it('the RoleBinding gives that Role to the investigator ServiceAccount', () => {
    const binding = load('investigator/rolebinding.yaml');
    const account = load('investigator/serviceaccount.yaml');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: load('investigator/role.yaml').metadata.name });
    expect(binding.subjects).toHaveLength(1);
    expect(binding.subjects[0]).toMatchObject({ kind: 'ServiceAccount', name: account.metadata.name });
  });

  it('the Deployment pins the image to the package version and runs as a numeric non-root user', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const pod = load('investigator/deployment.yaml').spec.template.spec;
    const [container] = pod.containers;
    expect(container.image.split(':').at(-1)).toBe(version);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    // Kubernetes can only check runAsNonRoot against a numeric user; a named USER in the image would stop the pod.
    expect(Number.isInteger(pod.securityContext.runAsUser) && pod.securityContext.runAsUser > 0).toBe(true);
    expect(Number.isInteger(pod.securityContext.runAsGroup) && pod.securityContext.runAsGroup > 0).toBe(true);
  });

  it('namespaced objects name no namespace: they go where they are applied (-n NS or kustomize)', () => {
    for (const path of ['investigator/deployment.yaml', 'investigator/service.yaml', 'investigator/serviceaccount.yaml', 'workflow-executor/serviceaccount.yaml']) {
      expect(load(path).metadata.namespace, path).toBeUndefined();
    }
  });

  it('the investigator schedules into the namespace it runs in unless told otherwise', () => {
    const [container] = load('investigator/deployment.yaml').spec.template.spec.containers;
    const namespaceArg = container.args[container.args.indexOf('--namespace') + 1];
    const [, variable] = /^\$\(([A-Z_]+)\)$/.exec(namespaceArg) ?? [];
    expect(variable, `--namespace ${namespaceArg}`).toBeDefined();
    expect(container.env.find((e: { name: string }) => e.name === variable).valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
  });

  it('the Deployment runs thoth investigate on 6066 with probes on /_health of a port it serves', () => {
    const deployment = load('investigator/deployment.yaml');
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe(load('investigator/serviceaccount.yaml').metadata.name);
    const [container] = pod.containers;
    expect(container.args.slice(0, 1)).toEqual(['investigate']);
    expect(container.args[container.args.indexOf('--port') + 1]).toBe('6066');
    const port = container.ports.find((p: { containerPort: number }) => p.containerPort === 6066);
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet.path).toBe('/_health');
      expect([port.name, 6066]).toContain(probe.httpGet.port);
    }
    expect(deployment.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
  });

  it('a NetworkPolicy admits only the metrics scraper to port 6066 (where /halt and /resume listen, unauthenticated)', () => {
    const policy = load('investigator/networkpolicy.yaml');
    const deployment = load('investigator/deployment.yaml');
    expect(policy.kind).toBe('NetworkPolicy');
    expect(policy.spec.podSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress.length).toBeGreaterThan(0);
    for (const rule of policy.spec.ingress) {
      // An empty or missing `from` admits every pod in the cluster: each rule must name its peers.
      expect(rule.from?.length).toBeGreaterThan(0);
      for (const peer of rule.from) expect(peer.ipBlock ?? peer.namespaceSelector ?? peer.podSelector).toBeDefined();
      for (const peer of rule.from) if (peer.namespaceSelector) expect(Object.keys(peer.namespaceSelector.matchLabels ?? {}).length + (peer.namespaceSelector.matchExpressions?.length ?? 0)).toBeGreaterThan(0);
      expect(rule.ports).toEqual([{ protocol: 'TCP', port: 6066 }]);
    }
  });

  it('the Service selects the Deployment pods and targets port 6066', () => {
    const service = load('investigator/service.yaml');
    const deployment = load('investigator/deployment.yaml');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    const [port] = service.spec.ports;
    expect(port.port).toBe(6066);
    expect(port.targetPort).toBe(deployment.spec.template.spec.containers[0].ports[0].name);
  });
});
