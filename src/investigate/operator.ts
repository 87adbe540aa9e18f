/**
 * The operator endpoints of a running investigator (SPEC §3), wired to its
 * consumption: /halt and /resume pause a topic by its base name, /metrics
 * adds the consumer lag at scrape time.
 */
import { UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { baseTopicOf, topicName } from '../messages/topics.js';
import type { Consumption } from '../transport/port.js';
import type { InvestigatorEventName } from './events.js';
import { startOperatorServer, type OperatorSecurity, type OperatorServer } from './http.js';
import type { Metrics, Sample } from './metrics.js';
import { lagSamples } from './consumption-watch.js';

export interface OperatorEndpointOptions extends OperatorSecurity {
  host: string;
  port: number;
  /** The port was asked for: failing to bind it is an error, not a warning. */
  required: boolean;
  /** Full topic names the investigator consumes. */
  topics: string[];
  deploymentName?: string;
  /** Set once consumption has started. */
  consumption: () => Consumption | undefined;
  metrics: Metrics;
  /** Samples computed at scrape time besides the consumer lag (the knowledge topic's lag). */
  extraSamples?: () => Promise<Sample[]>;
  /** Where reading the knowledge topic stands (catching-up until it has read it to its end). */
  knowledge?: () => string;
  /** Topics (and namespaces, as `pending:<ns>`) held back right now; shared with back-pressure. */
  halted: Set<string>;
  onHaltedChange(): void;
  note(event: InvestigatorEventName, detail: Record<string, unknown>): void;
  running(): boolean;
  log: Logger;
}

/** Halting and resuming a consumed topic by its base (or full) name: the endpoints' and the dashboard's keys. */
export interface TopicControls {
  /** Full names of the topics consumed. */
  readonly topics: string[];
  readonly halt: (topic: string) => 'halted' | 'already' | 'unknown';
  readonly resume: (topic: string) => 'resumed' | 'already' | 'unknown';
}

export function topicControls(
  options: Pick<OperatorEndpointOptions, 'topics' | 'deploymentName' | 'consumption' | 'halted' | 'onHaltedChange' | 'note'>,
  by: string,
): TopicControls {
  const { halted, deploymentName } = options;
  const topics = new Set(options.topics);
  const full = (base: string) => topicName(baseTopicOf(base, deploymentName), deploymentName);
  return {
    topics: options.topics,
    halt: (base) => {
      const topic = full(base);
      if (!topics.has(topic)) return 'unknown';
      if (halted.has(topic)) return 'already';
      options.consumption()?.pause(topic);
      halted.add(topic);
      options.onHaltedChange();
      options.note('paused', { topic, by });
      return 'halted';
    },
    resume: (base) => {
      const topic = full(base);
      if (!topics.has(topic)) return 'unknown';
      if (!halted.delete(topic)) return 'already';
      options.consumption()?.resume(topic);
      options.onHaltedChange();
      options.note('resumed', { topic, by });
      return 'resumed';
    },
  };
}

export async function serveOperatorEndpoints(options: OperatorEndpointOptions): Promise<OperatorServer | undefined> {
  const { halted } = options;
  const controls = topicControls(options, 'operator');
  try {
    const server = await startOperatorServer({
      host: options.host,
      port: options.port,
      hostNames: options.hostNames,
      token: options.token,
      controls: {
        metrics: async () => {
          const consumption = options.consumption();
          const extra = (await options.extraSamples?.().catch(() => [])) ?? [];
          return options.metrics.render([...((consumption && (await lagSamples(consumption))) || []), ...extra]);
        },
        health: () => ({ ok: options.running(), halted: [...halted], ...(options.knowledge ? { knowledge: options.knowledge() } : {}) }),
        halt: controls.halt,
        resume: controls.resume,
      },
    });
    options.log.notice(
      `operator endpoints on ${server.url} (/metrics, /_health; POST /halt/<topic>, /resume/<topic>${options.token !== undefined ? ' with the bearer token' : ''})`,
    );
    return server;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? `port ${options.port} is in use` : String(error);
    if (options.required)
      throw new UserError(
        `cannot serve the operator endpoints on ${options.host}:${options.port}: ${why}`,
        'pass another --port, --port 0 for a free one, or --port none',
      );
    options.log.warn(`operator endpoints off: ${why} (pass --port 0 for a free port)`);
    return undefined;
  }
}
