import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { HANDLERS, planEffects } from '../../src/investigate/dispatch.js';
import { MESSAGE_NAMES, messageType } from '../../src/messages/catalogue.js';
import type { Message } from '../../src/messages/validate.js';
import { INDEX, SOLVERS, incoming, noIndex, tempStore, testConfig, type TempStore } from './handlers-support.js';

let temp: TempStore;
beforeEach(() => {
  temp = tempStore();
});
afterEach(() => temp.dispose());

describe('planEffects', () => {
  it('has a handler for every message type of the catalogue', () => {
    expect(Object.keys(HANDLERS).sort()).toEqual([...MESSAGE_NAMES].sort());
  });

  it('dead-letters a body version with no handler instead of stopping', async () => {
    const message = {
      ...incoming('solved-package', { package_name: 'requests', package_version: '1.0', index_url: INDEX, solver: SOLVERS[0] }).message,
      version: 'v9',
    } as Message;
    const error = await planEffects(
      { type: messageType('solved-package'), message, headers: {}, source: null },
      { store: temp.store, config: testConfig(), index: noIndex, now: Date.now },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).errorClass).toBe('NoHandlerForVersion');
    expect((error as Error).message).toContain('handled versions: v1');
  });

  it('handles the older versions upstream handled with the same function', async () => {
    const message = { ...incoming('adviser-trigger', { recommendation_type: 'latest' }).message, version: 'v3' } as Message;
    const effects = await planEffects(
      { type: messageType('adviser-trigger'), message, headers: {}, source: null },
      { store: temp.store, config: testConfig(), index: noIndex, now: Date.now },
    );
    expect(effects.map((e) => e.type)).toEqual(['schedule']);
  });

  it('leaves the cache alone while planning', async () => {
    await planEffects(
      incoming('solved-package', { package_name: 'requests', package_version: '1.0', index_url: INDEX, solver: SOLVERS[0] }),
      {
        store: temp.store,
        config: testConfig(),
        index: noIndex,
        now: Date.now,
      },
    );
    expect(temp.store.knownVersions('requests')).toEqual([]);
  });
});
