import { describe, expect, it } from 'vitest';
import { watchIdle } from '../../src/investigate/consumption-watch.js';

describe('--until-idle watchdog', () => {
  it('does not call a run idle while the backlog cannot be told yet (consumer still joining), nor while records wait', async () => {
    const answers: Array<number | undefined> = [undefined, undefined, 3, 0];
    const asked: Array<number | undefined> = [];
    let idle = false;
    await watchIdle({
      idleMs: 20,
      quietFor: () => 1_000,
      backlog: async () => {
        const answer = answers.shift();
        asked.push(answer);
        return answer;
      },
      stop: new AbortController().signal,
      onIdle: () => void (idle = true),
    });
    expect(idle).toBe(true);
    expect(asked).toEqual([undefined, undefined, 3, 0]);
  });

  it('ends without calling the run idle when it is stopped first', async () => {
    const stop = new AbortController();
    let idle = false;
    const watching = watchIdle({
      idleMs: 20,
      quietFor: () => 0,
      backlog: async () => 0,
      stop: stop.signal,
      onIdle: () => void (idle = true),
    });
    stop.abort();
    await watching;
    expect(idle).toBe(false);
  });
});
