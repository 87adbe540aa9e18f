/**
 * Every parameter a WorkflowTemplate declares must resolve when a Workflow
 * references it: either the template gives it a default `value` or thoth's
 * builder always sends it. Otherwise older Argo rejects the Workflow
 * (`spec.arguments.<name>.value is required`) and newer Argo hands the
 * container the literal `{{workflow.parameters.<name>}}`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildWorkflow } from '../../src/workflows/build.js';
import { KIND_SPECS } from '../../src/workflows/kinds.js';
import { WORKFLOW_KINDS, type WorkflowKind } from '../../src/workflows/types.js';
import { runThoth } from '../support/cli.js';

interface TemplateParameter {
  name: string;
  value?: unknown;
}

const argoDir = new URL('../../deploy/argo/', import.meta.url);
const templates = readdirSync(argoDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => parseYaml(readFileSync(new URL(f, argoDir), 'utf8')) as { metadata: { name: string }; spec: { arguments: { parameters: TemplateParameter[] } } });
const SAMPLES = JSON.parse(readFileSync(new URL('../../fixtures/workflows/requests.json', import.meta.url), 'utf8')) as Record<WorkflowKind, Record<string, string>>;

/** The smallest request the builder accepts: required parameters only (plus one of a kind's either-or set). */
function minimalRequest(kind: WorkflowKind): Record<string, string> {
  const spec = KIND_SPECS.get(kind)!;
  const names = spec.parameters.filter((p) => p.required).map((p) => p.name);
  if (spec.requiresOneOf) names.push(spec.requiresOneOf.find((name) => SAMPLES[kind][name] !== undefined)!);
  return Object.fromEntries(names.map((name) => [name, SAMPLES[kind][name]]));
}

function templateFor(name: string) {
  const template = templates.find((t) => t.metadata.name === name);
  if (!template) throw new Error(`deploy/argo has no WorkflowTemplate ${name}`);
  return template;
}

const unresolved = (declared: TemplateParameter[], sent: string[]) =>
  declared.filter((p) => typeof p.value !== 'string' && !sent.includes(p.name)).map((p) => p.name);

describe('deploy/argo template parameters all resolve', () => {
  for (const kind of WORKFLOW_KINDS) {
    it(`${kind}: every parameter has a default value or is sent by the builder for a minimal request`, () => {
      const workflow = buildWorkflow({ kind, parameters: minimalRequest(kind) }, { namespace: 'thoth' });
      const declared = templateFor(workflow.spec.workflowTemplateRef!.name).spec.arguments.parameters;
      const sent = workflow.spec.arguments!.parameters!.map((p) => p.name);
      expect(unresolved(declared, sent)).toEqual([]);
    });

    it(`${kind}: where template and builder both have a default, they agree`, () => {
      const declared = templateFor(KIND_SPECS.get(kind)!.templateName).spec.arguments.parameters;
      for (const parameter of KIND_SPECS.get(kind)!.parameters) {
        if (parameter.default === undefined) continue;
        expect(declared.find((p) => p.name === parameter.name)?.value, parameter.name).toBe(parameter.default);
      }
    });
  }

  it('submit adviser --dry-run client prints a Workflow whose template needs nothing more', async () => {
    const { code, stdout, stderr } = await runThoth(['submit', 'adviser', '-p', 'THOTH_ADVISER_RECOMMENDATION_TYPE=stable', '--namespace', 'thoth', '--dry-run', 'client', '-o', 'json']);
    expect(stderr).not.toMatch(/error/i);
    expect(code).toBe(0);
    const workflow = JSON.parse(stdout) as { spec: { workflowTemplateRef: { name: string }; arguments: { parameters: Array<{ name: string }> } } };
    const declared = templateFor(workflow.spec.workflowTemplateRef.name).spec.arguments.parameters;
    expect(unresolved(declared, workflow.spec.arguments.parameters.map((p) => p.name))).toEqual([]);
    // Left unset, limit and count resolve to empty strings, which the adviser reads as "use my own default".
    for (const name of ['THOTH_ADVISER_LIMIT', 'THOTH_ADVISER_COUNT']) expect(declared.find((p) => p.name === name)?.value).toBe('');
  });
});
