import { describe, expect, it } from 'vitest';
import { MESSAGE_TYPES } from '../../src/messages/catalogue.js';
import { presentSchema, presentTypeList } from '../../src/present/schema.js';

describe('thoth schema output', () => {
  it('aligns the type list on a terminal and separates it by tabs for scripts', () => {
    const two = MESSAGE_TYPES.slice(0, 2);
    expect(presentTypeList(two, true)).toBe(
      [
        'TYPE                  BASE TOPIC                                  VERSION',
        'advise-justification  thoth.advise-reporter.advise-justification  v1',
        'adviser-trigger       thoth.adviser-trigger                       v5',
        '',
      ].join('\n'),
    );
    expect(presentTypeList(two, false)).toBe(
      'advise-justification\tthoth.advise-reporter.advise-justification\tv1\nadviser-trigger\tthoth.adviser-trigger\tv5\n',
    );
  });

  it('prints the schema as indented JSON', () => {
    expect(presentSchema({ type: 'object' })).toBe('{\n  "type": "object"\n}\n');
  });
});
