/**
 * Policy scope and the common protection (lib/engine/scope.ts), value by value: written to kill
 * the mutants Stryker makes of it (docs/testing.md "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import { inScope, mayBeInScope, protectionOf, SKIP_TAG } from '../../../lib/engine/scope.ts';
import type { ResourceRef } from '../../../lib/engine/types.ts';

const ref = (id: string, tags: Record<string, string> = {}, account = '111111111111'): ResourceRef => ({ type: 't', id, arn: `arn:${id}`, account, region: 'us-east-1', tags });

describe('inScope: accounts', () => {
  it('keeps a resource of a listed account and drops one of an unlisted account', () => {
    // Prepare
    const scope = { accounts: ['111111111111', '333333333333'] };

    // Act / Assess
    expect(inScope(scope, ref('a'))).toBe(true);
    expect(inScope(scope, ref('a', {}, '333333333333'))).toBe(true);
    expect(inScope(scope, ref('a', {}, '222222222222'))).toBe(false);
  });

  it('keeps every resource when the scope names no accounts, tags or names', () => {
    // Act / Assess
    expect(inScope({}, ref('anything', { team: 'x' }, '999999999999'))).toBe(true);
  });
});

describe('inScope: includeTags', () => {
  it('drops a resource that lacks the tag key, even when the wanted value is *', () => {
    // Act / Assess
    expect(inScope({ includeTags: { team: '*' } }, ref('a', { owner: 'data' }))).toBe(false);
    expect(inScope({ includeTags: { team: 'data' } }, ref('a'))).toBe(false);
  });

  it('keeps a resource whose tag has the wanted value, and drops one with another value', () => {
    // Act / Assess
    expect(inScope({ includeTags: { team: 'data' } }, ref('a', { team: 'data' }))).toBe(true);
    expect(inScope({ includeTags: { team: 'data' } }, ref('a', { team: 'web' }))).toBe(false);
  });

  it('keeps a resource whose tag has any of the wanted values of a list', () => {
    // Prepare
    const scope = { includeTags: { team: ['data', 'ml'] } };

    // Act / Assess
    expect(inScope(scope, ref('a', { team: 'ml' }))).toBe(true);
    expect(inScope(scope, ref('a', { team: 'data' }))).toBe(true);
    expect(inScope(scope, ref('a', { team: 'web' }))).toBe(false);
  });

  it('keeps a resource with the key and any value when the wanted value is * (alone or in a list)', () => {
    // Act / Assess
    expect(inScope({ includeTags: { team: '*' } }, ref('a', { team: 'anything' }))).toBe(true);
    expect(inScope({ includeTags: { team: ['web', '*'] } }, ref('a', { team: '' }))).toBe(true);
  });

  it('needs every included tag, not just one', () => {
    // Prepare
    const scope = { includeTags: { team: 'data', env: 'prod' } };

    // Act / Assess
    expect(inScope(scope, ref('a', { team: 'data', env: 'prod' }))).toBe(true);
    expect(inScope(scope, ref('a', { team: 'data', env: 'dev' }))).toBe(false);
    expect(inScope(scope, ref('a', { env: 'prod' }))).toBe(false);
  });
});

describe('inScope: excludeTags', () => {
  it('drops a resource with any one excluded tag and keeps one with none of them', () => {
    // Prepare
    const scope = { excludeTags: { env: 'prod', keep: '*' } };

    // Act / Assess
    expect(inScope(scope, ref('a', { env: 'prod' }))).toBe(false);
    expect(inScope(scope, ref('a', { keep: 'yes' }))).toBe(false);
    expect(inScope(scope, ref('a', { env: 'dev' }))).toBe(true);
    expect(inScope(scope, ref('a', { team: 'data' }))).toBe(true);
  });
});

describe('inScope: names', () => {
  it('matches include globs against the whole id: * is any run of characters, ? exactly one', () => {
    // Act / Assess
    expect(inScope({ includeNames: ['logs-*'] }, ref('logs-app'))).toBe(true);
    expect(inScope({ includeNames: ['logs-*'] }, ref('logs-'))).toBe(true);
    expect(inScope({ includeNames: ['logs-*'] }, ref('my-logs-app'))).toBe(false);
    expect(inScope({ includeNames: ['web'] }, ref('web-1'))).toBe(false);
    expect(inScope({ includeNames: ['web-?'] }, ref('web-1'))).toBe(true);
    expect(inScope({ includeNames: ['web-?'] }, ref('web-12'))).toBe(false);
    expect(inScope({ includeNames: ['web-?'] }, ref('web-'))).toBe(false);
  });

  it('keeps a resource that matches any one of several include globs', () => {
    // Act / Assess
    expect(inScope({ includeNames: ['a-*', 'b-*'] }, ref('b-1'))).toBe(true);
    expect(inScope({ includeNames: ['a-*', 'b-*'] }, ref('c-1'))).toBe(false);
  });

  it('takes the other characters of a glob literally (. + ( ) [ ] $ ^ | { } \\)', () => {
    // Act / Assess
    expect(inScope({ includeNames: ['db.prod'] }, ref('db.prod'))).toBe(true);
    expect(inScope({ includeNames: ['db.prod'] }, ref('dbXprod'))).toBe(false);
    expect(inScope({ includeNames: ['a+b'] }, ref('a+b'))).toBe(true);
    expect(inScope({ includeNames: ['a+b'] }, ref('aab'))).toBe(false);
    expect(inScope({ includeNames: ['(x)|[y]{2}$^\\'] }, ref('(x)|[y]{2}$^\\'))).toBe(true);
    expect(inScope({ includeNames: ['(x)|[y]{2}$^\\'] }, ref('x'))).toBe(false);
  });

  it('drops a resource matching any exclude glob and keeps the others', () => {
    // Prepare
    const scope = { excludeNames: ['*-tfstate', 'legacy-?'] };

    // Act / Assess
    expect(inScope(scope, ref('app-tfstate'))).toBe(false);
    expect(inScope(scope, ref('legacy-1'))).toBe(false);
    expect(inScope(scope, ref('legacy-10'))).toBe(true);
    expect(inScope(scope, ref('app-tfstate-old'))).toBe(true);
  });
});

describe('mayBeInScope', () => {
  it('judges tags only when the listing carries them complete; accounts and names always', () => {
    // Prepare
    const scope = { includeTags: { team: 'data' }, includeNames: ['logs-*'], accounts: ['111111111111'] };

    // Act / Assess
    expect(mayBeInScope(scope, ref('logs-a'), false)).toBe(true);
    expect(mayBeInScope(scope, ref('logs-a'), true)).toBe(false);
    expect(mayBeInScope(scope, ref('logs-a', { team: 'data' }), true)).toBe(true);
    expect(mayBeInScope(scope, ref('data-a'), false)).toBe(false);
    expect(mayBeInScope(scope, ref('logs-a', {}, '222222222222'), false)).toBe(false);
    expect(mayBeInScope({ excludeTags: { env: 'prod' } }, ref('a', { env: 'prod' }), false)).toBe(true);
    expect(mayBeInScope({ excludeTags: { env: 'prod' } }, ref('a', { env: 'prod' }), true)).toBe(false);
  });
});

describe('protectionOf', () => {
  it('names the skip tag when a resource carries it, whatever its value, and nothing otherwise', () => {
    // Act / Assess
    expect(SKIP_TAG).toBe('trimtab:skip');
    expect(protectionOf(ref('a', { 'trimtab:skip': 'legal hold' }))).toBe('tagged trimtab:skip');
    expect(protectionOf(ref('a', { 'trimtab:skip': '' }))).toBe('tagged trimtab:skip');
    expect(protectionOf(ref('a', { team: 'trimtab:skip' }))).toBeUndefined();
    expect(protectionOf(ref('a'))).toBeUndefined();
  });
});
