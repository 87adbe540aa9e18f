import { describe, expect, it } from 'vitest';
import { booleanWord } from '../../src/core/booleans.js';

describe('booleanWord', () => {
  it.each(['0', 'false', 'No', 'OFF', ' off '])('%j is false (upstream took "0" as true)', (value) => {
    expect(booleanWord(value)).toBe(false);
  });
  it.each(['1', 'true', 'YES', 'on'])('%j is true', (value) => {
    expect(booleanWord(value)).toBe(true);
  });
  it.each(['maybe', '', '2'])('%j is neither', (value) => {
    expect(booleanWord(value)).toBeUndefined();
  });
});
