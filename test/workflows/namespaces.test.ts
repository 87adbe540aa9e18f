import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { readSettings } from '../../src/config/settings.js';
import { namespaceFor } from '../../src/workflows/namespaces.js';

const env = readSettings({ THOTH_MIDDLETIER_NAMESPACE: 'thoth-middletier', THOTH_BACKEND_NAMESPACE: 'thoth-backend' }).namespaces;
const namespacesOf = (variables: NodeJS.ProcessEnv) => readSettings(variables).namespaces;

describe('namespaceFor', () => {
  it('puts every kind in --namespace when given', () => {
    expect(namespaceFor('solver', { namespace: 'thoth' }, env)).toBe('thoth');
    expect(namespaceFor('adviser', { namespace: 'thoth' }, env)).toBe('thoth');
  });

  it('splits kinds by class otherwise, flags before variables', () => {
    expect(namespaceFor('solver', {}, env)).toBe('thoth-middletier');
    expect(namespaceFor('kebechet', {}, env)).toBe('thoth-backend');
    expect(namespaceFor('solver', { middletierNamespace: 'mt' }, env)).toBe('mt');
    expect(namespaceFor('repo-init', { backendNamespace: 'be' }, env)).toBe('be');
  });

  it('says which variable is missing', () => {
    expect(() => namespaceFor('adviser', {}, namespacesOf({ THOTH_MIDDLETIER_NAMESPACE: 'x' }))).toThrow(
      /no namespace for adviser workflows \(a backend kind\)/,
    );
    const error = (() => {
      try {
        namespaceFor('graph-sync', {}, namespacesOf({}));
      } catch (caught) {
        return caught as UserError;
      }
    })();
    expect(error?.hint).toContain('THOTH_MIDDLETIER_NAMESPACE');
  });

  it('refuses a namespace that is not a DNS-1123 label, naming where it came from', () => {
    expect(() => namespaceFor('solver', { namespace: 'Thoth_NS' }, env)).toThrow(/invalid namespace "Thoth_NS" \(from --namespace\)/);
    expect(() => namespaceFor('solver', {}, namespacesOf({ THOTH_MIDDLETIER_NAMESPACE: 'a b' }))).toThrow(
      /from THOTH_MIDDLETIER_NAMESPACE/,
    );
  });
});
