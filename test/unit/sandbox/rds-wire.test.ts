/**
 * RDS wire contract: the recorded RDS bodies (test/fixtures/wire/rds) through the SDK's own
 * awsQuery deserializer, and the sandbox's RDS answers (also on the wire) held to the same shapes
 * and error names.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { testEnv } from '../../helpers.ts';

const fixture = (path: string) => readFileSync(new URL(`../../fixtures/wire/${path}`, import.meta.url), 'utf8');

function replaying(body: string, statusCode = 200): RDSClient {
  return new RDSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'TEST', secretAccessKey: 'TEST' },
    maxAttempts: 1,
    requestHandler: { handle: async () => ({ response: { statusCode, headers: { 'content-type': 'text/xml' }, body: Buffer.from(body) } }) },
  });
}

/** Member names and value kinds, recursively (not values). */
function shapeOf(value: unknown): unknown {
  if (value instanceof Date) return 'date';
  if (Array.isArray(value)) return value.length ? [shapeOf(value[0])] : [];
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([k, v]) => k !== '$metadata' && v !== undefined).map(([k, v]) => [k, shapeOf(v)]));
  return typeof value;
}

let strict: string | undefined;
beforeEach(() => {
  strict = process.env.TRIMTAB_WIRE_STRICT;
  // The sandbox may send only members the RDS model has.
  process.env.TRIMTAB_WIRE_STRICT = '1';
});
afterEach(() => {
  if (strict === undefined) delete process.env.TRIMTAB_WIRE_STRICT;
  else process.env.TRIMTAB_WIRE_STRICT = strict;
});

describe('RDS on the wire: recorded bodies and the sandbox', () => {
  it('gives every DBInstance member both send the same kind of value', async () => {
    // Prepare
    const recorded = (await replaying(fixture('rds/DescribeDBInstances-2013.xml')).send(new DescribeDBInstancesCommand({}))).DBInstances![0];
    const env = testEnv();
    // Act
    const rds = env.clients.get(RDSClient, 'us-east-1');
    const ours = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'staging-reports-db' }))).DBInstances![0];
    const source = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-db' }))).DBInstances![0];
    // Assess
    const a = shapeOf(recorded) as Record<string, unknown>;
    const b = shapeOf(ours) as Record<string, unknown>;
    const shared = Object.keys(a).filter((k) => k in b);
    expect(shared.length).toBeGreaterThanOrEqual(15);
    for (const k of shared) expect([k, b[k]]).toEqual([k, a[k]]);
    // An empty list is an empty element on the wire, read as [] by the SDK, as in the recording.
    expect(recorded.ReadReplicaDBInstanceIdentifiers).toEqual([]);
    expect(ours.ReadReplicaDBInstanceIdentifiers).toEqual([]);
    expect(source.ReadReplicaDBInstanceIdentifiers).toEqual(['orders-db-replica']);
    expect(ours.TagList).toEqual(expect.arrayContaining([{ Key: 'team', Value: 'platform' }]));
  });

  it('names a missing instance as the SDK names the recorded wire code (DBInstanceNotFound → DBInstanceNotFoundFault)', async () => {
    // Prepare
    const env = testEnv();
    // Act
    const recorded = await replaying(fixture('rds/Error-DBInstanceNotFound.xml'), 404).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'foobar' })).catch((e) => e);
    const ours = await env.clients.get(RDSClient, 'us-east-1').send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'foobar' })).catch((e) => e);
    // Assess
    expect(recorded.name).toBe('DBInstanceNotFoundFault');
    expect(ours.name).toBe(recorded.name);
    expect(ours.$metadata.httpStatusCode).toBe(404);
    expect(ours.message).toBe('DBInstance foobar not found.');
  });
});
