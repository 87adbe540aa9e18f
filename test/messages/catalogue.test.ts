import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { MESSAGE_TYPES, findMessageType, messageType } from '../../src/messages/catalogue.js';

describe('the catalogue', () => {
  test('holds the 20 types of SPEC §2.1, each once, named by the last segment of its base topic', () => {
    expect(MESSAGE_TYPES).toHaveLength(20);
    expect(new Set(MESSAGE_TYPES.map((t) => t.name)).size).toBe(20);
    expect(new Set(MESSAGE_TYPES.map((t) => t.baseTopic)).size).toBe(20);
    for (const type of MESSAGE_TYPES) {
      expect(type.baseTopic.split('.').at(-1)).toBe(type.name);
      expect(type.baseTopic).toMatch(/^thoth\./);
      expect(type.version).toMatch(/^v\d+$/);
    }
  });

  test('no type redeclares a base field, and field names are unique', () => {
    for (const type of MESSAGE_TYPES) {
      const names = type.fields.map((f) => f.name);
      expect(names).not.toContain('component_name');
      expect(names).not.toContain('version');
      expect(new Set(names).size).toBe(names.length);
    }
  });

  test('spot checks against SPEC §2.1', () => {
    const unresolved = messageType('unresolved-package');
    expect(unresolved.baseTopic).toBe('thoth.investigator.unresolved-package');
    expect(unresolved.fields.map((f) => [f.name, f.required, f.nullable])).toEqual([
      ['package_name', true, false],
      ['index_url', true, false],
      ['package_version', false, true],
      ['solver', false, true],
    ]);
    expect(messageType('adviser-trigger').version).toBe('v5');
    expect(messageType('package-extract-trigger').fields.find((f) => f.name === 'is_external')).toMatchObject({
      default: true,
      nullable: false,
    });
  });
});

describe('lookup', () => {
  test('messageType accepts the CLI name or the base topic', () => {
    expect(messageType('thoth.solver.solved-package').name).toBe('solved-package');
    expect(messageType('solved-package').baseTopic).toBe('thoth.solver.solved-package');
  });

  test('an unknown name is a usage error listing the types and suggesting the nearest', () => {
    const attempt = () => messageType('unresolved-pakage');
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(`unknown message type "unresolved-pakage" (did you mean 'unresolved-package'?)`);
    try {
      attempt();
    } catch (error) {
      expect((error as UsageError).hint).toContain('known types: advise-justification, adviser-trigger');
      expect((error as UsageError).hint).toContain('update-provides-source-distro');
    }
  });

  test.each([
    ['solved', 'solved-package'],
    ['SolvedPackage', 'solved-package'],
    ['adviser-trigr', 'adviser-trigger'],
    ['kebechet', 'kebechet-run-url-trigger'],
    ['zzzzzzzz', undefined],
  ])('suggestion for %j', (name, suggestion) => {
    try {
      messageType(name);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      const message = (error as UsageError).message;
      if (suggestion) expect(message).toContain(`did you mean '${suggestion}'`);
      else expect(message).not.toContain('did you mean');
    }
  });

  test('findMessageType reads CLI names, base topics and prefixed topics', () => {
    expect(findMessageType('repo-init')?.name).toBe('repo-init');
    expect(findMessageType('thoth.repo-init')?.name).toBe('repo-init');
    expect(findMessageType('stage.thoth.repo-init', 'stage')?.name).toBe('repo-init');
    expect(findMessageType('prod.thoth.repo-init')?.name).toBe('repo-init');
    expect(findMessageType('prod.thoth.repo-init', 'stage')).toBeUndefined();
    expect(findMessageType('thoth.investigator.dead-letter')).toBeUndefined();
    expect(findMessageType('nothing')).toBeUndefined();
  });
});
