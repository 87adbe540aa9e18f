import { describe, expect, test } from 'vitest';
import { DEAD_LETTER_BASE_TOPIC, baseTopicOf, deploymentNameProblem, topicName } from '../../src/messages/topics.js';

describe('topic names', () => {
  test('the deployment name prefixes the base name, when there is one', () => {
    expect(topicName('thoth.solver.solved-package', 'ocp4-stage')).toBe('ocp4-stage.thoth.solver.solved-package');
    expect(topicName('thoth.solver.solved-package')).toBe('thoth.solver.solved-package');
    // thoth-messaging prefixes an empty THOTH_DEPLOYMENT_NAME too: `f"{prefix}.{base}"` with prefix "".
    expect(topicName('thoth.solver.solved-package', '')).toBe('.thoth.solver.solved-package');
    expect(topicName(DEAD_LETTER_BASE_TOPIC, 'dev')).toBe('dev.thoth.investigator.dead-letter');
  });

  test('baseTopicOf strips exactly that prefix', () => {
    expect(baseTopicOf('dev.thoth.repo-init', 'dev')).toBe('thoth.repo-init');
    expect(baseTopicOf('thoth.repo-init', 'dev')).toBe('thoth.repo-init');
    expect(baseTopicOf('prod.thoth.repo-init', 'dev')).toBe('prod.thoth.repo-init');
    expect(baseTopicOf('devx.thoth.repo-init', 'dev')).toBe('devx.thoth.repo-init');
    expect(baseTopicOf('dev.thoth.repo-init')).toBe('dev.thoth.repo-init');
  });

  test.each([
    ['ocp4-stage', undefined],
    ['a.b_c-1', undefined],
    ['', 'empty'],
    ['dev stage', 'ASCII letters'],
    ['dev/../x', 'ASCII letters'],
    ['..', "cannot be '.' or '..'"],
    ['x'.repeat(201), 'at most 200'],
  ])('deploymentNameProblem(%j)', (name, problem) => {
    const found = deploymentNameProblem(name);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});
