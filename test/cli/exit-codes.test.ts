import { describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli/exit-codes.js';

describe('reportError', () => {
  it('reports an unexpected error in one line with the bug note, the stack only with -v', () => {
    let text = '';
    const bug = new TypeError('cannot read properties of undefined\n  (reading x)');
    expect(reportError(bug, (t) => (text += t), 'tail')).toBe(1);
    expect(text).toBe(
      'error: TypeError: cannot read properties of undefined (reading x)\nThis is a bug in thoth; please report it with the command you ran (-v prints where it happened).\n',
    );
    text = '';
    reportError(bug, (t) => (text += t), 'tail', true);
    expect(text).toMatch(/^\s+at /m);
  });
});
