import { describe, expect, it } from 'vitest';
import { handlesInMode } from '../../src/investigate/modes.js';
import { MESSAGE_NAMES } from '../../src/messages/catalogue.js';

describe('handlesInMode', () => {
  it('splits topics between middletier and backend as upstream, and metrics takes all', () => {
    expect(handlesInMode('solved-package', ['middletier'])).toBe(true);
    expect(handlesInMode('solved-package', ['backend'])).toBe(false);
    expect(handlesInMode('adviser-trigger', ['backend'])).toBe(true);
    expect(handlesInMode('hash-mismatch', ['backend'])).toBe(true);
    expect(handlesInMode('advise-justification', ['middletier', 'backend'])).toBe(false);
    expect(MESSAGE_NAMES.every((name) => handlesInMode(name, ['metrics']))).toBe(true);
    expect(MESSAGE_NAMES.filter((name) => handlesInMode(name, ['middletier', 'backend']))).toHaveLength(MESSAGE_NAMES.length - 1);
  });
});
