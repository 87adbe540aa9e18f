/**
 * The topic controls a running investigator hands to its dashboard (the h/r
 * keys): halting a topic pauses its consumption and says so as a 'paused'
 * event, resuming lets it go on; the lag events carry each partition's lag.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { investigatorConfig } from '../../src/config/investigator.js';
import { readSettings } from '../../src/config/settings.js';
import { nullLogger } from '../../src/core/logger.js';
import type { InvestigatorEvent } from '../../src/investigate/events.js';
import type { TopicControls } from '../../src/investigate/operator.js';
import { DEFAULT_RETRY } from '../../src/investigate/retry.js';
import { knowledgeTopics, runInvestigator } from '../../src/investigate/runner.js';
import { brokerSource } from '../../src/investigate/sources.js';
import { openStore, type Store } from '../../src/store/index.js';
import { openEmbeddedBroker } from '../../src/transport/embedded.js';
import { openEmbeddedKnowledge } from '../../src/transport/embedded-knowledge.js';

const INDEX = 'https://index.example/simple';
const UNRESOLVED = 'thoth.investigator.unresolved-package';
let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-controls-'));
  store = openStore(join(dir, 'thoth.db'), { create: true, indexUrls: INDEX });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const body = (name: string) =>
  JSON.stringify({
    component_name: 'thoth',
    service_version: '0.1.0',
    version: 'v1',
    package_name: name,
    package_version: '1.0.0',
    index_url: INDEX,
    solver: null,
  });

describe('the topic controls of a running investigator', () => {
  it('halts and resumes a topic, and reports lag per partition', async () => {
    const broker = openEmbeddedBroker(store, join(dir, 'thoth.db'));
    const config = investigatorConfig(readSettings({ THOTH_INDEX_URLS: INDEX }));
    const events: InvestigatorEvent[] = [];
    const stop = new AbortController();
    let controls: TopicControls | undefined;
    const received = () => events.filter((e) => e.event === 'received').length;
    const waitFor = async (done: () => boolean) => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 25));
      expect(done()).toBe(true);
    };
    const run = runInvestigator(
      {
        config,
        group: 'g',
        namespaceFor: () => 'thoth',
        http: null,
        maxBytes: 1_000_000,
        retry: DEFAULT_RETRY,
        stopGraceMs: 2_000,
        pendingPollMs: 1_000,
        lagPollMs: 50,
        phasePollMs: 1_000,
      },
      {
        source: brokerSource({
          broker,
          knowledge: openEmbeddedKnowledge(store, join(dir, 'thoth.db')),
          topics: [UNRESOLVED],
          knowledgeTopic: knowledgeTopics(config).knowledge,
          group: 'g',
          start: { from: 'earliest' },
          partitionsConcurrently: 1,
          maxBytes: 1_000_000,
        }),
        store,
        kube: null,
        clock: { now: () => Date.now() },
        log: nullLogger,
        signal: stop.signal,
        onControls: (given) => (controls = given),
      },
      (event) => events.push(event),
    );
    await waitFor(() => controls !== undefined);
    expect(controls!.topics).toContain(UNRESOLVED);
    expect(controls!.halt('unresolved-package')).toBe('unknown');
    expect(controls!.halt(UNRESOLVED)).toBe('halted');
    expect(controls!.halt(UNRESOLVED)).toBe('already');
    expect(events.find((e) => e.event === 'paused')).toMatchObject({ topic: UNRESOLVED, by: 'dashboard' });

    await broker.send([{ topic: UNRESOLVED, key: 'flask', headers: {}, value: body('flask') }]);
    await waitFor(() => events.some((e) => e.event === 'lag' && e.total === 1));
    expect(events.filter((e) => e.event === 'lag').at(-1)).toMatchObject({ byPartition: [{ topic: UNRESOLVED, partition: 0, lag: 1 }] });
    expect(received()).toBe(0);

    expect(controls!.resume(UNRESOLVED)).toBe('resumed');
    await waitFor(() => received() === 1);
    expect(events.find((e) => e.event === 'resumed')).toMatchObject({ topic: UNRESOLVED, by: 'dashboard' });
    stop.abort();
    expect((await run).reason).toBe('signal');
  });
});
