import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseSince } from '../../src/core/duration.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['2d', 172_800_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'm5', '5 m', '1h 30m', 'yesterday'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('reads back as a person writes it', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(250)).toBe('250ms');
  });
});

describe('parseSince (tail --since, query workflows --since)', () => {
  it('takes a duration before now in the one grammar, or an ISO-8601 date', () => {
    expect(parseSince('10m', NOW)).toBe(NOW - 600_000);
    expect(parseSince('1h30m', NOW)).toBe(NOW - 5_400_000);
    expect(parseSince('2024-05-01', NOW)).toBe(Date.parse('2024-05-01'));
    expect(parseSince('2024-05-01T12:00:00Z', NOW)).toBe(Date.parse('2024-05-01T12:00:00Z'));
  });

  it.each(['yesterday', '10', '2024-13-45', ''])('%j is neither', (text) => {
    expect(parseSince(text, NOW)).toBeUndefined();
  });
});
