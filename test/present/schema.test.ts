import { describe, expect, it } from 'vitest';
import { MESSAGE_TYPES } from '../../src/messages/catalogue.js';
import { presentSchema, presentTypeList } from '../../src/present/schema.js';

describe('thoth schema output', () => {
  it('aligns the type list on a terminal and separates it by tabs for scripts', async () => {
    const two = MESSAGE_TYPES.slice(0, 2);
    expect(await presentTypeList(two, 'table', true)).toBe(
      [
        'TYPE                  BASE TOPIC                                  VERSION',
        'advise-justification  thoth.advise-reporter.advise-justification  v1',
        'adviser-trigger       thoth.adviser-trigger                       v5',
        '',
      ].join('\n'),
    );
    expect(await presentTypeList(two, 'table', false)).toBe(
      'advise-justification\tthoth.advise-reporter.advise-justification\tv1\nadviser-trigger\tthoth.adviser-trigger\tv5\n',
    );
  });

  it('lists the types as a document or as names', async () => {
    const two = MESSAGE_TYPES.slice(0, 2);
    expect(JSON.parse(await presentTypeList(two, 'json', false))).toEqual([
      { type: 'advise-justification', base_topic: 'thoth.advise-reporter.advise-justification', version: 'v1' },
      { type: 'adviser-trigger', base_topic: 'thoth.adviser-trigger', version: 'v5' },
    ]);
    expect(await presentTypeList(two, 'name', true)).toBe('advise-justification\nadviser-trigger\n');
  });

  it('prints the schema as indented JSON, or YAML', async () => {
    expect(await presentSchema({ type: 'object' })).toBe('{\n  "type": "object"\n}\n');
    expect(await presentSchema({ type: 'object' }, 'yaml')).toBe('type: object\n');
  });
});
