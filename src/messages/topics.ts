/**
 * Topic names (SPEC §2): `${THOTH_DEPLOYMENT_NAME}.${base}` when a deployment
 * name is set, else the base name. There is no other prefix.
 */

/** Where the investigator writes messages it cannot process (prefixed like every topic). */
export const DEAD_LETTER_BASE_TOPIC = 'thoth.investigator.dead-letter';

/** Header names on a dead letter (thoth's own; upstream had no dead-letter topic). */
export const DEAD_LETTER_HEADERS = {
  topic: 'thoth-source-topic',
  partition: 'thoth-source-partition',
  offset: 'thoth-source-offset',
  errorClass: 'thoth-error-class',
  reason: 'thoth-reason',
  /** Set when the value was left out because the dead letter would exceed the producer's size limit. */
  valueOmitted: 'thoth-value-omitted',
} as const;

/** The header a re-driven record carries: where its dead letter's record was (`topic/partition/offset`). */
export const REDRIVEN_FROM_HEADER = 'thoth-redriven-from';

/** An empty deployment name (THOTH_DEPLOYMENT_NAME="") prefixes a bare dot, as thoth-messaging does. */
export function topicName(baseTopic: string, deploymentName?: string): string {
  return deploymentName !== undefined ? `${deploymentName}.${baseTopic}` : baseTopic;
}

/** The base name of a full topic: strips `${deploymentName}.` when present. */
export function baseTopicOf(topic: string, deploymentName?: string): string {
  const prefix = deploymentName !== undefined ? `${deploymentName}.` : undefined;
  return prefix && topic.startsWith(prefix) ? topic.slice(prefix.length) : topic;
}

/**
 * Why a deployment name cannot prefix a Kafka topic, or undefined when it can.
 * Kafka topic names allow ASCII letters, digits, '.', '_' and '-', at most 249 characters.
 */
export function deploymentNameProblem(name: string): string | undefined {
  if (name === '') return 'the deployment name is empty';
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    return "a deployment name may contain only ASCII letters, digits, '.', '_' and '-' (Kafka topic name rule)";
  if (name === '.' || name === '..') return "a deployment name cannot be '.' or '..'";
  if (name.length > 200) return "a deployment name is at most 200 characters, so that prefixed topic names stay under Kafka's 249";
  return undefined;
}

/** Why a name cannot be a Kafka topic (legal characters, length, '.' and '..'), or undefined when it can. */
export function topicNameProblem(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return `"${name}" is not a Kafka topic name`;
  if (name.length > 249) return 'a Kafka topic name is at most 249 characters';
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return "a Kafka topic name may contain only ASCII letters, digits, '.', '_' and '-'";
  return undefined;
}

/**
 * What a reader says of topics that do not exist: their names when there are a few, a count when
 * there are many (`tail --all` on a new broker names twenty topics otherwise).
 */
export function missingTopicsNotice(missing: readonly string[], total: number, ending = 'nothing to read there'): string {
  if (missing.length === 1) return `topic ${missing[0]} does not exist: ${ending}`;
  if (missing.length <= 3) return `topics ${missing.join(', ')} do not exist: ${ending}`;
  if (missing.length === total) return `none of the ${total} topics exists yet: ${ending}`;
  return `${missing.length} of the ${total} topics do not exist yet: ${ending} (thoth topics lists them)`;
}
