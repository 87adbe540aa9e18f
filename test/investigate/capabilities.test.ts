/**
 * The executor's capabilities on their own, as `thoth publish` (follow-up
 * publishing) and `thoth submit` (scheduling) use them: each works with only
 * the ports it declares.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { schedule } from '../../src/investigate/effects.js';
import { followUpPublisher, INVALID_FOLLOW_UP, type PublishRecord } from '../../src/investigate/follow-up-publisher.js';
import { solverRequest } from '../../src/investigate/handlers/requests.js';
import { workflowScheduler } from '../../src/investigate/workflow-scheduler.js';
import { idempotencyKeyOf } from '../../src/workflows/build.js';
import { INDEX, tempStore, type TempStore } from './handlers-support.js';

const key = { packageName: 'requests', packageVersion: '2.25.1', indexUrl: INDEX };
const NOW = Date.parse('2026-11-27T12:00:00Z');

describe('follow-up publishing alone', () => {
  it('builds the complete body with the origin given, and sends it once acknowledged', async () => {
    const sent: PublishRecord[][] = [];
    const publisher = followUpPublisher({
      send: async (records) => void sent.push(records),
      origin: { componentName: 'thoth', serviceVersion: '9.9.9' },
    });
    const record = publisher.prepare({
      messageType: 'adviser-re-run',
      message: { re_run_adviser_id: 'adv-1', recommendation_type: 'latest' },
      key: 'adv-1',
      headers: {},
    });
    await publisher.send([record]);
    expect(sent).toEqual([[record]]);
    expect(record.message).toMatchObject({
      component_name: 'thoth',
      service_version: '9.9.9',
      version: 'v2',
      re_run_adviser_id: 'adv-1',
      origin: null,
    });
  });

  it('refuses an invalid follow-up as a permanent InvalidFollowUp before anything is sent', () => {
    const publisher = followUpPublisher({ send: () => Promise.reject(new Error('must not send')) });
    const refused = (() => {
      try {
        publisher.prepare({ messageType: 'adviser-re-run', message: { re_run_adviser_id: 7 }, key: null, headers: {} });
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(PermanentError);
    expect((refused as PermanentError).errorClass).toBe(INVALID_FOLLOW_UP);
  });
});

describe('workflow scheduling alone', () => {
  let temp: TempStore;
  beforeEach(() => (temp = tempStore()));
  afterEach(() => temp.dispose());

  it('records a workflow in the namespace its kind maps to, and knows it the second time', async () => {
    const scheduler = workflowScheduler({
      kube: null,
      namespaceFor: (kind) => (kind === 'solver' ? 'thoth-middletier' : 'thoth-backend'),
      now: () => NOW,
    });
    const effect = schedule(solverRequest(key, 'solver-rhel-8-py38', null), 'thoth submit');
    const first = await scheduler.schedule(effect, null, temp.store);
    expect(first).toMatchObject({ kind: 'solver', namespace: 'thoth-middletier', outcome: 'recorded' });
    expect(temp.store.findWorkflowByKey(idempotencyKeyOf(first.workflow)!)).toMatchObject({ name: first.name, status: 'recorded' });
    expect((await scheduler.schedule(effect, null, temp.store)).outcome).toBe('known');
  });
});
