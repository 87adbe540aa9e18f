import { readSettings } from '../../src/config/settings.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError, UsageError } from '../../src/core/errors.js';
import { investigatorConfig } from '../../src/config/investigator.js';
import { handlesInMode } from '../../src/investigate/modes.js';
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

describe('investigatorConfig', () => {
  it('defaults to the SPEC solvers, both handling modes, and Kebechet administrator off', () => {
    expect(investigatorConfig(readSettings({}))).toMatchObject({
      solvers: SOLVERS,
      modes: ['middletier', 'backend'],
      indexUrls: [],
      schedule: { solver: true, revsolver: true, security: true, kebechetAdministrator: false },
    });
  });

  it('reads the environment and lets flags win', () => {
    const env = {
      THOTH_SOLVERS: 'solver-rhel-9-py39, solver-rhel-9-py311',
      THOTH_CONSUMER_MODE: 'metrics',
      THOTH_INDEX_URLS: `${INDEX}/`,
      THOTH_INVESTIGATOR_SCHEDULE_SECURITY: '0',
    };
    expect(investigatorConfig(readSettings(env))).toMatchObject({
      solvers: ['solver-rhel-9-py39', 'solver-rhel-9-py311'],
      modes: ['metrics'],
      indexUrls: [INDEX],
      schedule: { security: false },
    });
    expect(investigatorConfig(readSettings(env), { mode: ['backend', 'middletier'], scheduleSecurity: true })).toMatchObject({
      modes: ['backend', 'middletier'],
      schedule: { security: true },
    });
  });

  it.each([
    [{ THOTH_INVESTIGATOR_SCHEDULE_SOLVER: 'maybe' }, 'THOTH_INVESTIGATOR_SCHEDULE_SOLVER'],
    [{ THOTH_SOLVERS: 'rhel8' }, 'THOTH_SOLVERS'],
    [{ THOTH_CONSUMER_MODE: 'frontend' }, 'THOTH_CONSUMER_MODE'],
    [{ THOTH_INDEX_URLS: 'ftp://index.example/simple' }, 'THOTH_INDEX_URLS'],
  ])('refuses %j naming the variable', (env, variable) => {
    expect(() => investigatorConfig(readSettings(env))).toThrow(UsageError);
    expect(() => investigatorConfig(readSettings(env))).toThrow(variable);
  });

  it('parses 0/false/no/off as false (upstream took "0" as true)', () => {
    for (const value of ['0', 'false', 'no', 'off', 'OFF'])
      expect(investigatorConfig(readSettings({ THOTH_INVESTIGATOR_SCHEDULE_REVSOLVER: value })).schedule.revsolver).toBe(false);
  });
});

describe('handlesInMode', () => {
  it('splits topics between middletier and backend as upstream, and metrics takes all', () => {
    expect(handlesInMode('solved-package', ['middletier'])).toBe(true);
    expect(handlesInMode('solved-package', ['backend'])).toBe(false);
    expect(handlesInMode('adviser-trigger', ['backend'])).toBe(true);
    expect(handlesInMode('hash-mismatch', ['backend'])).toBe(true);
    expect(handlesInMode('advise-justification', ['middletier', 'backend'])).toBe(false);
    expect(MESSAGE_NAMES.every((name) => handlesInMode(name, ['metrics']))).toBe(true);
    expect(MESSAGE_NAMES.filter((name) => handlesInMode(name, ['middletier', 'backend']))).toHaveLength(MESSAGE_NAMES.length - 1);
  });
});
