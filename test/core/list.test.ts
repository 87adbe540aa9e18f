import { describe, expect, it } from 'vitest';
import { firstFew } from '../../src/core/list.js';

describe('firstFew', () => {
  it('names a short list whole', () => {
    expect(firstFew([])).toBe('');
    expect(firstFew(['a', 'b', 'c', 'd'])).toBe('a, b, c, d');
  });

  it('names the first few of a longer one and counts the rest', () => {
    expect(firstFew(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c and 2 more');
    expect(firstFew(['a', 'b', 'c'], 1)).toBe('a and 2 more');
  });
});
