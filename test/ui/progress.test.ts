import { describe, expect, it } from 'vitest';
import { renderProgress } from '../../src/ui/progress.js';

describe('the progress bar', () => {
  it('shows the share done within the terminal width', () => {
    expect(renderProgress(50, 100, 'x.ndjson: 10 sent', 80)).toBe(`[${'#'.repeat(20)}${'.'.repeat(20)}]  50%  x.ndjson: 10 sent`);
    expect(renderProgress(5, undefined, '<stdin>: 5 sent', 80)).toBe('<stdin>: 5 sent');
    expect(renderProgress(1, 1, 'a'.repeat(200), 60)).toHaveLength(59);
  });
});
