/** Which resources the engine may skip before enrichment: names always, tags only when the listing carries them. */
import { describe, expect, it } from 'vitest';
import { mayBeInScope } from '../../../lib/engine/scope.ts';
import type { ResourceRef } from '../../../lib/engine/types.ts';

const ref = (id: string, tags: Record<string, string> = {}): ResourceRef => ({ type: 't', id, arn: `arn:${id}`, account: '111111111111', region: 'us-east-1', tags });

describe('mayBeInScope', () => {
  it('judges names and accounts before enrichment whatever the listing gives', () => {
    // Prepare
    const scope = { includeNames: ['logs-*'], excludeNames: ['*-tfstate'], accounts: ['111111111111'] };

    // Act / Assess
    expect(mayBeInScope(scope, ref('logs-app'), false)).toBe(true);
    expect(mayBeInScope(scope, ref('data-app'), false)).toBe(false);
    expect(mayBeInScope(scope, ref('logs-tfstate'), false)).toBe(false);
    expect(mayBeInScope({ accounts: ['222222222222'] }, ref('logs-app'), false)).toBe(false);
  });

  it('ignores tag scopes when the listing does not carry complete tags (enrichment may add them)', () => {
    // Prepare: an untagged ref, as a module whose tags come from enrichment lists it.
    const scope = { includeTags: { team: 'data' }, excludeTags: { 'access-pattern': 'hot' } };

    // Act / Assess
    expect(mayBeInScope(scope, ref('a'), false)).toBe(true);
    expect(mayBeInScope(scope, ref('a', { 'access-pattern': 'hot' }), false)).toBe(true);
  });

  it('applies tag scopes when the listing carries complete tags', () => {
    // Prepare
    const scope = { includeTags: { team: 'data' }, excludeTags: { 'access-pattern': 'hot' } };

    // Act / Assess
    expect(mayBeInScope(scope, ref('a', { team: 'data' }), true)).toBe(true);
    expect(mayBeInScope(scope, ref('a', { team: 'web' }), true)).toBe(false);
    expect(mayBeInScope(scope, ref('a', { team: 'data', 'access-pattern': 'hot' }), true)).toBe(false);
  });
});
