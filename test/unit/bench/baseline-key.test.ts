import { describe, expect, it } from 'vitest';
import { baselineKey } from '../../../lib/bench/lambda.ts';

const CLIENTS = ['application-auto-scaling', 'auto-scaling', 'cloudformation', 'cloudwatch', 'cloudwatch-logs', 'compute-optimizer', 'dynamodb', 'ec2', 'eks', 'elastic-beanstalk', 'elastic-load-balancing-v2', 'elasticache', 'eventbridge', 'lambda', 'pricing', 'rbin', 'rds', 'resource-groups-tagging-api', 's3', 'sfn', 'ssm', 'sts'].map((c) => `@aws-sdk/client-${c}`);

describe('the baseline bundle\'s file name (bench)', () => {
  it('names a few clients by their names, and 22 clients by their count and a hash that fits a file name', () => {
    // Act
    const few = baselineKey(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sfn']);
    const many = baselineKey(CLIENTS);
    const other = baselineKey(CLIENTS.slice(1));

    // Assess: `baseline-<key>.cjs` stays under 255 bytes, and other client sets get other names
    expect(few).toBe('dynamodb+sfn');
    expect(baselineKey([])).toBe('none');
    expect(many).toMatch(/^22-clients-[0-9a-f]{16}$/);
    expect(`baseline-${many}.cjs`.length).toBeLessThan(255);
    expect(other).toMatch(/^21-clients-[0-9a-f]{16}$/);
    expect(baselineKey(CLIENTS)).toBe(many);
  });
});
