/**
 * `investigate -o ndjson`: one JSON line per event, written together rather than one write per event,
 * and every line out, in order, by the end of the run.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { jsonLinesSink, type InvestigatorEvent } from '../../src/investigate/events.js';

function collecting() {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { stream, writes, lines: () => writes.join('').split('\n').filter(Boolean) };
}

const event = (offset: number, extra: Record<string, unknown> = {}): InvestigatorEvent => ({
  ts: '2026-12-06T10:00:00.000Z',
  event: 'received',
  topic: 'thoth.investigator.unresolved-package',
  partition: 0,
  offset,
  ...extra,
});

describe('the events as JSON lines', () => {
  it('writes the events of one turn of the event loop together, each on its own line, in order', async () => {
    const out = collecting();
    const sink = jsonLinesSink(out.stream);
    for (let i = 0; i < 5; i++) sink(event(i));
    expect(out.writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.writes).toHaveLength(1);
    expect(out.lines().map((line) => (JSON.parse(line) as InvestigatorEvent).offset)).toEqual([0, 1, 2, 3, 4]);
  });

  it('writes when 64 KiB are held, without waiting for the loop', () => {
    const out = collecting();
    const sink = jsonLinesSink(out.stream);
    const padding = 'x'.repeat(1_000);
    for (let i = 0; i < 70; i++) sink(event(i, { padding }));
    expect(out.writes).toHaveLength(1);
    expect(out.writes[0].length).toBeGreaterThanOrEqual(64 * 1024);
    sink.flush();
    expect(out.lines().map((line) => (JSON.parse(line) as InvestigatorEvent).offset)).toEqual([...Array(70).keys()]);
  });

  it('writes what it holds at flush, the end of a run, and nothing twice', async () => {
    const out = collecting();
    const sink = jsonLinesSink(out.stream);
    sink(event(7, { detail: 'line "one"\nand more' }));
    sink.flush();
    expect(out.lines()).toEqual([JSON.stringify(event(7, { detail: 'line "one"\nand more' }))]);
    await new Promise((resolve) => setImmediate(resolve));
    sink.flush();
    expect(out.writes).toHaveLength(1);
  });
});
