/**
 * lib/approval/workflow.ts's step schema is built when the module loads: a broken option of the
 * discriminated union throws there, before any test of workflow-steps.test.ts runs. Vitest then fails
 * that file with "no tests", which Stryker's vitest runner counts as no failed test (the mutants of
 * lines 127–134 were reported as survivors with 0 tests run). Here the module is imported inside the
 * test, so a module that cannot load fails a named test (docs/testing.md "workflow.ts: equivalent mutants").
 */
import { describe, expect, it } from 'vitest';

const ID = 'apr-workflow00001';

describe('the approval workflow module', () => {
  it('loads, and its step schema takes each of the seven steps with its own fields', async () => {
    // Prepare
    const inputs = [
      { step: 'record', approvalId: ID, executionArn: 'arn:aws:states:us-east-1:123456789012:execution:approval:apr-workflow00001' },
      { step: 'ask', approvalId: ID, taskToken: 'token-1', timeoutSeconds: 7200 },
      { step: 'apply', approvalId: ID },
      { step: 'verify', approvalId: ID },
      { step: 'notify', approvalId: ID },
      { step: 'not-approved', approvalId: ID, error: { Error: 'States.Timeout', Cause: 'no decision' } },
      { step: 'failed', approvalId: ID, error: { Error: 'Lambda.Unknown' } },
    ];

    // Act
    const { parseStepEvent } = await import('../../../lib/approval/workflow.ts');
    const parsed = inputs.map((input) => parseStepEvent(input));

    // Assess
    expect(parsed).toStrictEqual(inputs);
  });
});
