import { describe, expect, it } from 'vitest';
import { driftAfterDirect } from '../../../lib/ownership/cloudformation.ts';
import { awsError, fakeAws } from '../resources/fake-aws.ts';

describe('the note after a direct change to a stack-owned resource', () => {
  it('says a deploy may revert the change, not that it will, when drift detection could not run', async () => {
    // Prepare
    const aws = fakeAws({
      DetectStackResourceDrift: () => {
        throw awsError('ValidationError', 'Stack shop-prod is in UPDATE_IN_PROGRESS state and can not be updated.\nsecond line');
      },
    });
    // Act
    const note = await driftAfterDirect(aws.ctx, 'shop-prod', 'WebGroup', 'web-asg');
    // Assess
    expect(note).toBe('drift detection not run (ValidationError: Stack shop-prod is in UPDATE_IN_PROGRESS state and can not be updated.); a deploy of shop-prod may revert this change');
    expect(aws.ops()).toEqual(['DetectStackResourceDrift']);
  });

  it('says the next deploy reverts the change only when drift detection finds the stack\'s own resource MODIFIED', async () => {
    // Prepare
    const aws = fakeAws({
      DetectStackResourceDrift: () => ({
        StackResourceDrift: {
          StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/shop-prod/1',
          LogicalResourceId: 'WebGroup',
          PhysicalResourceId: 'web-asg',
          ResourceType: 'AWS::AutoScaling::AutoScalingGroup',
          StackResourceDriftStatus: 'MODIFIED',
          PropertyDifferences: [{ PropertyPath: '/MinSize', ExpectedValue: '6', ActualValue: '3', DifferenceType: 'NOT_EQUAL' }],
          Timestamp: new Date('2026-11-01T00:00:00Z'),
        },
      }),
    });
    // Act
    const note = await driftAfterDirect(aws.ctx, 'shop-prod', 'WebGroup', 'web-asg');
    // Assess
    expect(note).toBe('drift detection finds WebGroup MODIFIED (/MinSize: template 6, actual 3): the next deploy of shop-prod reverts this change');
  });
});
