import { describe, expect, it } from 'vitest';
import { localStateMachine } from '../../../lib/approval/local.ts';

const definition = (end: string) => ({ StartAt: 'Only', States: { Only: { Type: 'Pass', Result: { end }, End: true } } });

describe('localStateMachine', () => {
  it('refuses a definition that is not valid ASL, every time it is asked (a refused definition is never remembered as checked)', () => {
    // Arrange: StartAt names a state that does not exist
    const broken = { StartAt: 'Missing', States: { Only: { Type: 'Pass', End: true } } };

    // Act / Assess
    expect(() => localStateMachine(broken)).toThrow(/Missing|StartAt|valid/i);
    expect(() => localStateMachine(broken)).toThrow(/Missing|StartAt|valid/i);
  });

  it('runs a checked definition again, each run on its own', async () => {
    // Arrange: the same definition twice (the second build skips the schema check)
    const first = localStateMachine(definition('a'));
    const second = localStateMachine(definition('a'));

    // Act
    const [a, b] = await Promise.all([first.run({}).result, second.run({}).result]);

    // Assess
    expect(a).toEqual({ end: 'a' });
    expect(b).toEqual({ end: 'a' });
  });
});
