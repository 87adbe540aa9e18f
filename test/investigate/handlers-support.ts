/**
 * Shared set-up for the handler, dispatch, executor and scenario tests: a
 * real knowledge cache on a temp file, a configuration, and validated
 * incoming messages built from the catalogue.
 */
import { readSettings } from '../../src/config/settings.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { investigatorConfig, type InvestigatorConfig } from '../../src/config/investigator.js';
import type { Incoming } from '../../src/investigate/dispatch.js';
import type { Effect } from '../../src/investigate/effects.js';
import type { IndexClient } from '../../src/investigate/index-client.js';
import { messageType } from '../../src/messages/catalogue.js';
import { buildMessage, formatErrors } from '../../src/messages/validate.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { SourceRef } from '../../src/store/types.js';

export const INDEX = 'https://index.example/simple';
export const SOLVERS = ['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310'];

export interface TempStore {
  store: Store;
  dispose(): void;
}

export function tempStore(indexUrls = INDEX): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'thoth-investigate-'));
  const store = openStore(join(dir, 'thoth.db'), { create: true, indexUrls });
  return {
    store,
    dispose: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function testConfig(env: NodeJS.ProcessEnv = {}): InvestigatorConfig {
  return investigatorConfig(readSettings({ THOTH_INDEX_URLS: INDEX, ...env }));
}

let offset = 0;

/** A validated message of the type, as the runner hands it to dispatch. */
export function incoming(
  typeName: string,
  fields: Record<string, unknown>,
  headers: Record<string, string> = {},
  source?: SourceRef | null,
): Incoming {
  const type = messageType(typeName);
  const built = buildMessage(type, fields, { componentName: 'test', serviceVersion: '0.0.0' });
  if (!built.ok) throw new Error(`test message is invalid: ${formatErrors(built.errors)}`);
  return {
    type,
    message: built.message,
    headers,
    source: source === undefined ? { topic: type.baseTopic, partition: 0, offset: offset++ } : source,
  };
}

/** An index client that must not be called. */
export const noIndex: IndexClient = {
  versions: () => Promise.reject(new Error('the index was asked although the message names a version')),
};

export function staticIndex(versions: Record<string, string[]>): IndexClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    versions: async (indexUrl, name) => {
      calls.push(`${indexUrl} ${name}`);
      return versions[name] ?? [];
    },
  };
}

/** The workflows among the effects, as `kind parameter=value …` lines sorted, for readable comparisons. */
export function scheduled(effects: Effect[]): Array<{ kind: string; parameters: Record<string, string> }> {
  return effects.flatMap((e) => (e.type === 'schedule' ? [{ kind: e.request.kind, parameters: e.request.parameters }] : []));
}

export function solverNames(effects: Effect[]): string[] {
  return scheduled(effects)
    .filter((w) => w.kind === 'solver')
    .map((w) => `${w.parameters.THOTH_SOLVER_PACKAGES} ${w.parameters.THOTH_SOLVER_NAME}`)
    .sort();
}

export function records(effects: Effect[]): string[] {
  return effects.flatMap((e) => (e.type === 'record' ? [e.change.what] : []));
}
