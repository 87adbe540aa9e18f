import type { ConsumerMode, InvestigatorConfig } from '../config/investigator.js';
import { MESSAGE_TYPES, type MessageType } from '../messages/catalogue.js';
import { topicName } from '../messages/topics.js';

/**
 * Which modes handle a message type, as upstream registered its handlers:
 * middletier takes the learning topics, backend the user-facing triggers and
 * upkeep (hash-mismatch is split between both). Metrics mode counts every type.
 */
export const MODES_OF_TYPE: Readonly<Record<string, readonly ConsumerMode[]>> = {
  'unresolved-package': ['middletier'],
  'unrevsolved-package': ['middletier'],
  'package-released': ['middletier'],
  'solved-package': ['middletier'],
  'si-unanalyzed-package': ['middletier'],
  'update-provides-source-distro': ['middletier'],
  'inspection-completed': ['middletier'],
  'build-analysis-trigger': ['middletier'],
  'hash-mismatch': ['middletier', 'backend'],
  'missing-package': ['backend'],
  'missing-package-version': ['backend'],
  'cve-provided': ['backend'],
  'adviser-trigger': ['backend'],
  'adviser-re-run': ['backend'],
  'provenance-checker-trigger': ['backend'],
  'package-extract-trigger': ['backend'],
  'kebechet-trigger': ['backend'],
  'kebechet-run-url-trigger': ['backend'],
  'repo-init': ['backend'],
  'advise-justification': ['metrics'],
};

/** True when a consumer in these modes subscribes to the type's topic (metrics mode subscribes to all). */
export function handlesInMode(typeName: string, modes: readonly ConsumerMode[]): boolean {
  if (modes.includes('metrics')) return typeName in MODES_OF_TYPE;
  return (MODES_OF_TYPE[typeName] ?? []).some((mode) => modes.includes(mode));
}

/** True when the type's handler (not just its counter) runs in these modes. */
export function handlerRunsInMode(typeName: string, modes: readonly ConsumerMode[]): boolean {
  return (MODES_OF_TYPE[typeName] ?? []).some((mode) => modes.includes(mode));
}

/** The message types the modes handle. */
export function handledTypes(config: Pick<InvestigatorConfig, 'modes'>): MessageType[] {
  return MESSAGE_TYPES.filter((t) => handlesInMode(t.name, config.modes));
}

/** Topics the modes subscribe to, prefixed with the deployment name. */
export function subscribedTopics(config: Pick<InvestigatorConfig, 'modes' | 'deploymentName'>): string[] {
  return handledTypes(config).map((t) => topicName(t.baseTopic, config.deploymentName));
}
