import { describe, expect, it } from 'vitest';
import { investigatorConfig } from '../../src/config/investigator.js';
import { readSettings } from '../../src/config/settings.js';
import { UsageError } from '../../src/core/errors.js';
import { INDEX, SOLVERS } from '../investigate/handlers-support.js';

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
