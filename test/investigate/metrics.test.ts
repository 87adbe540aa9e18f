import { describe, expect, it } from 'vitest';
import { MAX_SERIES_PER_METRIC, METRIC, createMetrics } from '../../src/investigate/metrics.js';

describe('investigator metrics', () => {
  it('renders counters and gauges in the Prometheus text format under upstream names', () => {
    const metrics = createMetrics();
    metrics.inc(METRIC.processed, { message_type: 'solved-package' });
    metrics.inc(METRIC.processed, { message_type: 'solved-package' });
    metrics.count(METRIC.scheduledWorkflows, { message_type: 'solved-package', workflow_type: 'security-indicators' }, 1, 'counter');
    metrics.set(METRIC.haltedTopics, {}, 2);
    const text = metrics.render([{ name: METRIC.consumerLag, labels: { topic: 't', partition: '0' }, value: 7 }]);

    expect(text).toContain(
      '# TYPE thoth_investigator_processed_total counter\nthoth_investigator_processed_total{message_type="solved-package"} 2',
    );
    expect(text).toContain(
      'thoth_investigator_scheduled_workflows_total{message_type="solved-package",workflow_type="security-indicators"} 1',
    );
    expect(text).toContain('# TYPE thoth_investigator_halted_topics gauge\nthoth_investigator_halted_topics 2');
    expect(text).toContain('# TYPE thoth_investigator_in_progress gauge\nthoth_investigator_in_progress 0');
    expect(text).toContain('thoth_investigator_consumer_lag{partition="0",topic="t"} 7');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('adds gauge increments (advise-justification counts) and escapes label values', () => {
    const metrics = createMetrics();
    const labels = { message: 'line "one"\nline two', justification_type: 'WARNING' };
    metrics.count('thoth_investigator_advise_justification', labels, 3, 'gauge');
    metrics.count('thoth_investigator_advise_justification', labels, 4, 'gauge');
    expect(metrics.value('thoth_investigator_advise_justification', labels)).toBe(7);
    expect(metrics.render()).toContain(
      'thoth_investigator_advise_justification{justification_type="WARNING",message="line \\"one\\"\\nline two"} 7',
    );
  });

  it('keeps at most MAX_SERIES_PER_METRIC series per metric; later label sets are counted as "other"', () => {
    const metrics = createMetrics();
    for (let i = 0; i < MAX_SERIES_PER_METRIC + 300; i++) metrics.inc(METRIC.deadLetters, { error_class: `Made-up-${i}` });
    const lines = metrics
      .render()
      .split('\n')
      .filter((l) => l.startsWith(`${METRIC.deadLetters}{`));
    expect(lines).toHaveLength(MAX_SERIES_PER_METRIC);
    expect(lines).toContain(`${METRIC.deadLetters}{error_class="other"} 301`);
    // A series that exists keeps counting under its own labels.
    metrics.inc(METRIC.deadLetters, { error_class: 'Made-up-0' });
    expect(metrics.value(METRIC.deadLetters, { error_class: 'Made-up-0' })).toBe(2);
  });

  it('goes down as well as up for in-progress', () => {
    const metrics = createMetrics();
    metrics.inc(METRIC.inProgress, { message_type: 'x' }, 1);
    metrics.inc(METRIC.inProgress, { message_type: 'x' }, -1);
    expect(metrics.value(METRIC.inProgress, { message_type: 'x' })).toBe(0);
  });
});
