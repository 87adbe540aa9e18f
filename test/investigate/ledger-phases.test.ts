import { describe, expect, it } from 'vitest';
import { syncPhases } from '../../src/investigate/ledger-phases.js';
import { openStore } from '../../src/store/index.js';
import type { LedgerEntry } from '../../src/store/types.js';
import type { Workflow } from '../../src/workflows/types.js';
import { INDEX, tempDbPath } from '../store/temp.js';

const entry = (name: string, namespace: string, status: LedgerEntry['status']): LedgerEntry => ({
  name,
  kind: 'solver',
  namespace,
  parameters: {},
  idempotencyKey: name,
  status,
  source: null,
  createdAt: '2024-05-01T12:00:00.000Z',
  updatedAt: '2024-05-01T12:00:00.000Z',
  packageName: 'flask',
  packageVersion: '2.0.1',
  indexUrl: INDEX,
});

const onCluster = (name: string, namespace: string, phase?: string): Workflow =>
  ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name, namespace },
    spec: {},
    ...(phase ? { status: { phase } } : {}),
  }) as unknown as Workflow;

describe('following workflow phases into the ledger', () => {
  it('writes the phases of the workflows it holds, and only those, going on past a namespace it cannot list', async () => {
    const store = openStore(tempDbPath(), { create: true });
    store.recordWorkflow(entry('solver-a', 'thoth', 'Pending'));
    store.recordWorkflow(entry('solver-b', 'thoth', 'Running'));
    store.recordWorkflow(entry('solver-c', 'other', 'Pending'));
    const changes: string[] = [];
    const debug: string[] = [];
    const recorded: string[] = [];
    const clusters: Record<string, Workflow[]> = {
      thoth: [
        onCluster('solver-a', 'thoth', 'Failed'),
        onCluster('solver-b', 'thoth', 'Running'),
        onCluster('stranger', 'thoth', 'Succeeded'),
        onCluster('solver-c', 'thoth', 'Succeeded'),
      ],
    };
    // Argo's completed ones: the list leaves them out, the ledger's unfinished entries among them are read by name.
    const completed = new Set(['solver-a', 'stranger', 'solver-c']);
    // Deleted from the cluster: the ledger keeps what it knew.
    store.recordWorkflow(entry('solver-d', 'thoth', 'Pending'));
    const read: string[] = [];
    const changed = await syncPhases({
      listUnfinished: async (namespace) => {
        if (!clusters[namespace]) throw new Error('forbidden');
        return clusters[namespace].filter((w) => !completed.has(w.metadata.name));
      },
      get: async (namespace, name) => {
        read.push(name);
        return clusters[namespace]?.find((w) => w.metadata.name === name);
      },
      namespaces: ['broken', 'thoth'],
      store,
      record: async (facts) => {
        recorded.push(...facts.map((f) => f.kind));
        store.applyFacts(facts);
      },
      now: () => Date.parse('2024-05-01T13:00:00Z'),
      log: { debug: (t: string) => void debug.push(t) } as never,
      onChange: (e, status) => void changes.push(`${e.name} ${status}`),
    });
    expect(changed).toBe(1);
    expect(changes).toEqual(['solver-a Failed']);
    expect(read).toEqual(['solver-a', 'solver-d']);
    expect(store.findWorkflow('solver-d')?.status).toBe('Pending');
    expect(recorded).toEqual(['workflow']);
    expect(store.findWorkflow('solver-a')).toMatchObject({ status: 'Failed', updatedAt: '2024-05-01T13:00:00.000Z' });
    // The namesake in another namespace is not the one the ledger holds.
    expect(store.findWorkflow('solver-c')?.status).toBe('Pending');
    expect(debug).toEqual([expect.stringContaining('listing workflows in broken for their phases failed: forbidden')]);
    store.close();
  });
});
