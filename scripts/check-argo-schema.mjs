#!/usr/bin/env node
/**
 * Checks thoth's Argo objects against Argo's published JSON schema (a
 * development aid; the project's tests do not need the schema):
 *   - deploy/argo/*.yaml as io.argoproj.workflow.v1alpha1.WorkflowTemplate,
 *   - the Workflow the builder makes for every kind (fixtures/workflows/requests.json)
 *     as io.argoproj.workflow.v1alpha1.Workflow (needs `npm run build` first),
 *   - deploy/investigator/*.yaml: the parts Argo's schema defines (ObjectMeta,
 *     Container, PodSecurityContext, ServicePort); RBAC objects structurally,
 *   - deploy/workflow-executor/*.yaml (the workflow pods' ServiceAccount and
 *     its Role): metadata by the schema, the Role structurally.
 *
 * Usage: node scripts/check-argo-schema.mjs <path/to/workflow-jsonschema.json> [--dist DIR]
 * (--dist: where `tsc` wrote the compiled sources; default dist/)
 * Exit 0 when everything validates, 1 otherwise.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const schemaPath = process.argv[2];
if (!schemaPath) {
  process.stderr.write('usage: node scripts/check-argo-schema.mjs <workflow-jsonschema.json>\n');
  process.exit(2);
}
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema(schema);
const validator = (definition) => {
  const validate = ajv.getSchema(`${schema.$id}#/definitions/${definition}`);
  if (!validate) throw new Error(`the schema has no definition ${definition}`);
  return validate;
};

let failures = 0;
let checked = 0;
const report = (what, validate, value) => {
  checked++;
  if (validate(value)) {
    process.stdout.write(`ok    ${what}\n`);
    return;
  }
  failures++;
  process.stdout.write(`FAIL  ${what}\n`);
  for (const e of validate.errors ?? []) process.stdout.write(`      ${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}\n`);
};
const fail = (what, reason) => {
  checked++;
  failures++;
  process.stdout.write(`FAIL  ${what}\n      ${reason}\n`);
};
const yamlFiles = (dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ path: `${dir}/${f}`, docs: parseAllDocuments(readFileSync(join(root, dir, f), 'utf8')).map((d) => d.toJS()) }));

// 1. WorkflowTemplates
const workflowTemplate = validator('io.argoproj.workflow.v1alpha1.WorkflowTemplate');
for (const file of yamlFiles('deploy/argo')) for (const doc of file.docs) report(`${file.path} (WorkflowTemplate ${doc?.metadata?.name})`, workflowTemplate, doc);

// 2. The builders' Workflows, one per kind
const distFlag = process.argv.indexOf('--dist');
const dist = distFlag > 0 ? process.argv[distFlag + 1] : join(root, 'dist');
const built = join(dist, 'src/workflows/build.js');
if (!existsSync(built)) {
  fail('built Workflows', `${built} is missing: run \`npm run build\` first`);
} else {
  const { buildWorkflow } = await import(pathToFileURL(built).href);
  const workflow = validator('io.argoproj.workflow.v1alpha1.Workflow');
  const requests = JSON.parse(readFileSync(join(root, 'fixtures/workflows/requests.json'), 'utf8'));
  for (const [kind, parameters] of Object.entries(requests)) {
    const source = { topic: 'thoth.investigator.unresolved-package', partition: 0, offset: 42 };
    const object = buildWorkflow({ kind, parameters, source }, { namespace: 'thoth' });
    report(`Workflow for ${kind} (${object.metadata.name})`, workflow, object);
  }
}

// 3. The investigator's manifests: what Argo's schema defines of them
const objectMeta = validator('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
const container = validator('io.k8s.api.core.v1.Container');
const podSecurity = validator('io.k8s.api.core.v1.PodSecurityContext');
const servicePort = validator('io.k8s.api.core.v1.ServicePort');
for (const file of yamlFiles('deploy/investigator')) {
  for (const doc of file.docs) {
    const what = `${file.path} (${doc.kind} ${doc.metadata?.name})`;
    report(`${what} metadata`, objectMeta, doc.metadata);
    if (doc.kind === 'Deployment') {
      const pod = doc.spec?.template?.spec ?? {};
      report(`${what} pod template metadata`, objectMeta, doc.spec?.template?.metadata);
      if (pod.securityContext) report(`${what} pod securityContext`, podSecurity, pod.securityContext);
      for (const c of pod.containers ?? []) report(`${what} container ${c.name}`, container, c);
    } else if (doc.kind === 'Service') {
      for (const p of doc.spec?.ports ?? []) report(`${what} port ${p.name}`, servicePort, p);
    } else if (doc.kind === 'Role') {
      const rules = doc.rules ?? [];
      const ok = rules.length === 1 && rules[0].apiGroups?.join() === 'argoproj.io' && rules[0].resources?.join() === 'workflows';
      if (!ok) fail(`${what} rules`, 'expected one rule on argoproj.io workflows');
      else {
        checked++;
        process.stdout.write(`ok    ${what} rules (structural: RBAC is not in Argo's schema)\n`);
      }
    }
  }
}

// 4. The workflow pods' own identity: metadata by the schema, the Role structurally
const executorRule = { apiGroups: 'argoproj.io', resources: 'workflowtaskresults', verbs: 'create,patch' };
for (const file of yamlFiles('deploy/workflow-executor')) {
  for (const doc of file.docs) {
    const what = `${file.path} (${doc.kind} ${doc.metadata?.name})`;
    report(`${what} metadata`, objectMeta, doc.metadata);
    if (doc.kind !== 'Role') continue;
    const rules = doc.rules ?? [];
    const ok = rules.length === 1 && Object.entries(executorRule).every(([field, value]) => rules[0][field]?.join() === value);
    if (!ok) fail(`${what} rules`, 'expected one rule: create, patch on argoproj.io workflowtaskresults');
    else {
      checked++;
      process.stdout.write(`ok    ${what} rules (structural: RBAC is not in Argo's schema)\n`);
    }
  }
}

process.stdout.write(`\n${checked - failures} of ${checked} checks passed\n`);
process.exitCode = failures ? 1 : 0;
