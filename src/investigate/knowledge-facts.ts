/**
 * A message's knowledge changes as facts (src/facts/): one fact per
 * attribute, set semantics, so that the same message applied twice, or two
 * replicas writing about one version at once, never count or clobber
 * anything twice. Requests and CVE notices are keyed by the message that
 * brought them: a redelivered message is the same request, not another.
 */
import { messageId, versionRef, type Fact } from '../facts/facts.js';
import type { KnowledgeStore, SourceRef } from '../store/types.js';
import type { KnowledgeChange } from './effects.js';

/** What the facts of a change depend on in the cache as it stands. */
export type FactView = Pick<KnowledgeStore, 'knownVersions' | 'isVersionKnown'>;

export function factsOfChange(change: KnowledgeChange, context: { at: string; source: SourceRef | null; view: FactView }): Fact[] {
  const { at, source, view } = context;
  // A message without a position (a test, a hand-made run) is keyed by its time.
  const message = source ? messageId(source) : at;
  switch (change.what) {
    case 'version':
      // Its time is when it was first seen: a version already known keeps it.
      return view.isVersionKnown(change.key) ? [] : [{ kind: 'version', version: versionRef(change.key), at }];
    case 'solved':
      return [{ kind: 'solved', version: versionRef(change.key), solver: change.solver, error: change.error === true, at }];
    case 'unresolved':
      return [{ kind: 'request', version: versionRef(change.key), solver: change.solver, request: message, at }];
    case 'advice-wait':
      return [
        { kind: 'advice', adviserId: change.adviserId, recommendationType: change.recommendationType, at },
        {
          kind: 'advice-wait',
          adviserId: change.adviserId,
          recommendationType: change.recommendationType,
          version: versionRef(change.key),
          at,
        },
      ];
    case 'advice-re-run':
      return [{ kind: 'advice-re-run', adviserId: change.adviserId, recommendationType: change.recommendationType, at }];
    case 'missing':
      return [{ kind: 'missing', version: versionRef(change.key), missing: change.missing, at }];
    case 'package-missing': {
      const ref = versionRef({ packageName: change.packageName, packageVersion: '0', indexUrl: change.indexUrl });
      const versions = view.knownVersions(ref.packageName, ref.indexUrl).map((k) => k.packageVersion);
      return [{ kind: 'package-missing', indexUrl: ref.indexUrl, packageName: ref.packageName, versions, at }];
    }
    case 'provides-source-distro':
      return [{ kind: 'provides-source-distro', version: versionRef(change.key), value: change.value, at }];
    case 'hash-present':
      return change.hashes.map((hash): Fact => ({ kind: 'hash', version: versionRef(change.key), hash, present: change.present, at }));
    case 'cve':
      return [{ kind: 'cve', version: versionRef(change.key), notice: message, at }];
    case 'security-indicators':
      return [{ kind: 'security-indicators', version: versionRef(change.key), state: change.state, at }];
    case 'security-indicators-requested':
      return [{ kind: 'security-indicators-requested', version: versionRef(change.key), at }];
  }
}
