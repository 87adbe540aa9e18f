/**
 * How the loopback kubelet ends each pod: rules in <state>/pod-rules/*.json, one rule per file
 * (so tests in parallel never write the same file), read when a pod starts. The newest file
 * (by name) that matches wins; a pod no rule matches succeeds after DEFAULT_DELAY_MS.
 *
 *   {
 *     "namespace": "t-abc",                       exact, optional
 *     "workflow": "^solver-",                     regex on the workflow name, optional
 *     "template": "^solver$",                     regex on the template the pod runs, optional
 *     "env": { "THOTH_SOLVER_PACKAGES": "six" },  regex per main-container variable, optional
 *                                                 (deploy/argo passes the parameters as container variables)
 *     "outcome": "Succeeded" | "Failed" | "Running",   Running: the pod never finishes
 *     "exitCode": 1,                              main container's exit code when Failed (default 1)
 *     "message": "text",                          main container's termination message
 *     "delayMs": 500                              time spent Running before the outcome
 *   }
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_DELAY_MS = 200;
const DEFAULT_RULE = { outcome: 'Succeeded', delayMs: DEFAULT_DELAY_MS };

export function rulesDir(stateDir) {
  return join(stateDir, 'pod-rules');
}

/** What the rules can match on, read from an Argo pod. */
export function podFacts(pod) {
  const main = pod.spec.containers.find((c) => c.name === 'main') ?? pod.spec.containers[0];
  const argoEnv = Object.fromEntries((pod.spec.containers.find((c) => c.name === 'wait')?.env ?? []).map((e) => [e.name, e.value]));
  let template = '';
  try {
    template = JSON.parse(argoEnv.ARGO_TEMPLATE ?? '{}').name ?? '';
  } catch {
    // not an Argo pod
  }
  return {
    namespace: pod.metadata.namespace,
    workflow: pod.metadata.labels?.['workflows.argoproj.io/workflow'] ?? '',
    template,
    env: Object.fromEntries((main?.env ?? []).filter((e) => typeof e.value === 'string').map((e) => [e.name, e.value])),
  };
}

export function matches(rule, facts) {
  if (rule.namespace !== undefined && rule.namespace !== facts.namespace) return false;
  if (rule.workflow !== undefined && !new RegExp(rule.workflow).test(facts.workflow)) return false;
  if (rule.template !== undefined && !new RegExp(rule.template).test(facts.template)) return false;
  for (const [name, pattern] of Object.entries(rule.env ?? {})) {
    if (facts.env[name] === undefined || !new RegExp(pattern).test(facts.env[name])) return false;
  }
  return true;
}

/**
 * The rule for this pod: the newest matching file's, else the default. Unreadable files are reported and skipped.
 * @param {string} stateDir
 * @param {ReturnType<typeof podFacts>} facts
 * @param {(warning: string) => void} [warn]
 */
export function ruleFor(stateDir, facts, warn = () => {}) {
  let files = [];
  try {
    files = readdirSync(rulesDir(stateDir)).filter((f) => f.endsWith('.json')).sort().reverse();
  } catch {
    return DEFAULT_RULE;
  }
  for (const file of files) {
    let rule;
    try {
      rule = JSON.parse(readFileSync(join(rulesDir(stateDir), file), 'utf8'));
    } catch (error) {
      warn(`skipping pod rule ${file}: ${error.message}`);
      continue;
    }
    if (matches(rule, facts)) return { ...DEFAULT_RULE, ...rule, file };
  }
  return DEFAULT_RULE;
}
