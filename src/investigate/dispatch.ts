/**
 * From one validated message to the effects it calls for. Handler choice is
 * by (type, body `version`, default "v1") as upstream; a version with no
 * handler is a permanent error (a dead letter, not a stop). Every workflow
 * request is checked here, before anything is applied, so that a message
 * with one bad value reaches neither the cache nor Kubernetes.
 */
import { PermanentError } from '../core/errors.js';
import type { MessageType } from '../messages/catalogue.js';
import type { Message } from '../messages/validate.js';
import type { KnowledgeStore, SourceRef } from '../store/types.js';
import { resolveParameters } from '../workflows/build.js';
import type { InvestigatorConfig } from '../config/investigator.js';
import { handlerRunsInMode } from './modes.js';
import type { Effect } from './effects.js';
import { checkedIndex, nameField, str, type Handler, type HandlerInput } from './handlers/common.js';
import { adviseJustification, countMessage } from './handlers/metrics.js';
import {
  cveProvided,
  hashMismatch,
  missingPackage,
  missingPackageVersion,
  packageReleased,
  unrevsolvedPackage,
  updateProvidesSourceDistro,
} from './handlers/package-updates.js';
import { siUnanalyzedPackage, solvedPackage } from './handlers/solved.js';
import {
  adviserReRun,
  adviserTrigger,
  buildAnalysisTrigger,
  inspectionCompleted,
  kebechetRunUrlTrigger,
  kebechetTrigger,
  packageExtractTrigger,
  provenanceCheckerTrigger,
  repoInit,
} from './handlers/triggers.js';
import { requestedSolvers, unresolvedPackage, wantsEveryVersion } from './handlers/unresolved.js';
import type { IndexClient } from './index-client.js';

export interface Incoming {
  type: MessageType;
  message: Message;
  headers: Record<string, string>;
  source: SourceRef | null;
}

export interface PlanContext {
  store: KnowledgeStore;
  config: InvestigatorConfig;
  index: IndexClient;
  now: () => number;
  signal?: AbortSignal;
}

export const NO_HANDLER = 'NoHandlerForVersion';

interface HandlerEntry {
  /** Body versions the handler reads (upstream registered older versions of some triggers on the same function). */
  versions: readonly string[];
  handle: Handler;
}

const v1 = ['v1'] as const;

/** Every message type of SPEC §3 and the handler that answers it. */
export const HANDLERS: Readonly<Record<string, HandlerEntry>> = {
  'unresolved-package': { versions: v1, handle: unresolvedPackage },
  'unrevsolved-package': { versions: v1, handle: unrevsolvedPackage },
  'package-released': { versions: v1, handle: packageReleased },
  'solved-package': { versions: v1, handle: solvedPackage },
  'si-unanalyzed-package': { versions: v1, handle: siUnanalyzedPackage },
  'update-provides-source-distro': { versions: v1, handle: updateProvidesSourceDistro },
  'missing-package': { versions: v1, handle: missingPackage },
  'missing-package-version': { versions: v1, handle: missingPackageVersion },
  'hash-mismatch': { versions: v1, handle: hashMismatch },
  'cve-provided': { versions: v1, handle: cveProvided },
  'adviser-trigger': { versions: ['v1', 'v2', 'v3', 'v4', 'v5'], handle: adviserTrigger },
  'adviser-re-run': { versions: ['v1', 'v2'], handle: adviserReRun },
  'provenance-checker-trigger': { versions: ['v1', 'v2', 'v3', 'v4'], handle: provenanceCheckerTrigger },
  'package-extract-trigger': { versions: ['v1', 'v2'], handle: packageExtractTrigger },
  'build-analysis-trigger': { versions: v1, handle: buildAnalysisTrigger },
  'kebechet-trigger': { versions: v1, handle: kebechetTrigger },
  'kebechet-run-url-trigger': { versions: ['v1', 'v2'], handle: kebechetRunUrlTrigger },
  'repo-init': { versions: v1, handle: repoInit },
  'inspection-completed': { versions: v1, handle: inspectionCompleted },
  'advise-justification': { versions: v1, handle: adviseJustification },
};

/** The handler for the message's body version, or a permanent error saying which versions are handled. */
export function handlerFor(typeName: string, version: string): Handler {
  const entry = HANDLERS[typeName];
  if (!entry) throw new PermanentError(NO_HANDLER, `the investigator has no handler for ${typeName} messages`);
  if (!entry.versions.includes(version)) {
    const empty = version.trim() === '' ? ' (an empty version; leave the field out to mean v1)' : '';
    throw new PermanentError(
      NO_HANDLER,
      `no handler for ${typeName} version ${JSON.stringify(version.slice(0, 40))}${empty}; handled versions: ${entry.versions.join(', ')}`,
    );
  }
  return entry.handle;
}

/** unresolved-package without a version: every version the (registered) index lists. */
async function versionsToExpand(input: HandlerInput, context: PlanContext): Promise<string[] | undefined> {
  if (input.typeName !== 'unresolved-package' || !wantsEveryVersion(str(input.message, 'package_version'))) return undefined;
  const name = nameField(input);
  const indexUrl = checkedIndex(str(input.message, 'index_url') ?? '', input.view, input.config);
  // Permanent faults first: a solver nobody runs is a dead letter even while the index is unreachable.
  requestedSolvers(input);
  return context.index.versions(indexUrl, name, { signal: context.signal });
}

/**
 * Plans the effects of one message. Async only because unresolved-package
 * without a version asks the index first; the handlers themselves are pure.
 * Throws PermanentError for anything that would fail the same way again.
 */
export async function planEffects(incoming: Incoming, context: PlanContext): Promise<Effect[]> {
  const { config } = context;
  const typeName = incoming.type.name;
  const effects: Effect[] = [];
  if (config.modes.includes('metrics')) effects.push(countMessage({ typeName, message: incoming.message }));
  if (!handlerRunsInMode(typeName, config.modes)) return effects;

  // Only an absent (or null) version means v1: an empty one is a version no handler reads.
  const version = str(incoming.message, 'version') ?? 'v1';
  const handle = handlerFor(typeName, version);
  const input: HandlerInput = {
    typeName,
    baseTopic: incoming.type.baseTopic,
    message: incoming.message,
    headers: incoming.headers,
    source: incoming.source,
    view: context.store,
    config,
  };
  const indexVersions = await versionsToExpand(input, context);
  effects.push(...handle(indexVersions ? { ...input, indexVersions } : input));

  for (const effect of effects) {
    // Throws a PermanentError naming the parameter and the rule: nothing of this message is applied.
    if (effect.type === 'schedule') resolveParameters(effect.request);
  }
  return effects;
}
