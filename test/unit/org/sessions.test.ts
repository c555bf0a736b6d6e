/**
 * Cross-account sessions: the hub assumes member roles with its own role credentials (role
 * chaining), which STS caps at one hour. The config refuses longer sessions; the sandbox STS
 * refuses them as STS does; a sweep that outlives its credentials re-assumes the role.
 */
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { organizationSchema } from '../../../lib/org/config.ts';
import { MemberRoles } from '../../../lib/org/roles.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { VirtualClock } from '../../../lib/util/clock.ts';
import { emptySandbox } from '../../helpers.ts';

const MEMBER = '222222222222';

function hubOver(clock: VirtualClock) {
  const sandbox = emptySandbox({ clock });
  sandbox.account(MEMBER);
  const hub = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false });
  return { sandbox, hub };
}

describe('organization memberRole.durationSeconds', () => {
  it('refuses more than one hour, saying role chaining caps it', () => {
    // Act
    const result = organizationSchema.safeParse({ memberRole: { durationSeconds: 7200 } });

    // Assess
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0];
    expect(issue.path).toEqual(['memberRole', 'durationSeconds']);
    expect(issue.message).toMatch(/^durationSeconds must be at most 3600: the hub assumes member roles by role chaining, which STS caps at one hour/);
  });

  it('accepts 900 to 3600 seconds and defaults to 3600', () => {
    expect(organizationSchema.parse({}).memberRole.durationSeconds).toBe(3600);
    expect(organizationSchema.parse({ memberRole: { durationSeconds: 900 } }).memberRole.durationSeconds).toBe(900);
  });
});

describe('sandbox STS AssumeRole', () => {
  const assume = (DurationSeconds: number) => {
    const { hub } = hubOver(new VirtualClock('2026-11-01T00:00:00Z'));
    return hub.get(STSClient, 'us-east-1').send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER}:role/trimtab-member-test`, RoleSessionName: 's', DurationSeconds }));
  };

  it('refuses a chained session over one hour with the ValidationError STS sends', async () => {
    await expect(assume(7200)).rejects.toMatchObject({ name: 'ValidationError', message: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.' });
    await expect(assume(600)).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/greater than or equal to 900/) });
  });

  it('gives credentials that expire DurationSeconds after now, in the sandbox time', async () => {
    const out = await assume(1800);

    expect(out.Credentials!.Expiration!.toISOString()).toBe('2026-11-01T00:30:00.000Z');
  });
});

describe('MemberRoles over a sweep that outlives its credentials', () => {
  it('re-assumes the member role when the one-hour credentials are about to expire, and not before', async () => {
    // Prepare
    const clock = new VirtualClock('2026-11-01T00:00:00Z');
    const { sandbox, hub } = hubOver(clock);
    const roles = new MemberRoles({ hub, hubAccount: SANDBOX_ACCOUNT, config: organizationSchema.parse({}), stage: 'test', region: 'us-east-1', now: () => clock.now() });
    const list = async () => (await roles.clientsFor(MEMBER)).get(S3Client, 'us-east-1').send(new ListBucketsCommand({}));

    // Act
    await list();
    clock.advance(30 * 60_000);
    await list();
    const afterHalfAnHour = sandbox.callCount('sts:AssumeRole');
    clock.advance(30 * 60_000); // one hour in: the first credentials have expired
    await list();

    // Assess
    expect(afterHalfAnHour).toBe(1);
    expect(sandbox.callCount('sts:AssumeRole')).toBe(2);
  });
});
