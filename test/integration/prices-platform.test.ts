/**
 * EC2 right-sizing, previous-generation and Auto Scaling findings priced at the operating system
 * and tenancy the instances run (issue 27 §1): both sides of the change, named in the basis.
 */
import { describe, expect, it } from 'vitest';
import { PriceBook } from '../../lib/pricing/lookup.ts';
import { addLaunchTemplateGroup } from '../../lib/resources/asg/rightsize-seed.ts';
import { addGroup } from '../../lib/resources/asg/sandbox-seed.ts';
import { ec2State } from '../../lib/sandbox/services/ec2.ts';
import { putSandboxParameter } from '../../lib/sandbox/services/ssm.ts';
import { faultRules } from '../../lib/sandbox/faults.ts';
import { SANDBOX_ACCOUNT } from '../../lib/sandbox/sandbox.ts';
import { DEFAULT_PRICES } from '../../lib/savings/prices.ts';
import { emptySandbox, envFor } from '../helpers.ts';

const POLICIES = `
version: 1
policies:
  - { id: groups, resource: asg, detector: { type: oversized-group-instances } }
`;

const GROUP = { ageDays: 60, minSize: 1, maxSize: 8, desiredCapacity: 4, defaultCooldown: 300, instanceType: 'c5.2xlarge', cpu: { base: 10, noise: 2 }, inService: { base: 4 } };

describe('Auto Scaling right-sizing at the operating system of the group', () => {
  it('prices a Windows group at Windows rates on both sides, read from the AMI of its launch template, and a Linux group at Linux rates', async () => {
    // Prepare: two identical groups, one launching the sandbox's public Windows AMI.
    const sandbox = emptySandbox();
    addLaunchTemplateGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'win-web', imageId: 'ami-0c0ffee0000057d01' });
    addLaunchTemplateGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'linux-web' });
    const env = envFor(sandbox, ['us-east-1']);
    env.deps.priceBook = new PriceBook({ clients: env.clients, now: () => sandbox.now() });

    // Act
    const result = await env.run(POLICIES, { forceDryRun: true });

    // Assess
    const win = result.findings.find((f) => f.resource.id === 'win-web')!;
    const linux = result.findings.find((f) => f.resource.id === 'linux-web')!;
    const to = win.evidence.candidate as string;
    expect(linux.evidence.candidate).toBe(to);
    const winFrom = DEFAULT_PRICES.ec2LicensedHourly['Windows:c5.2xlarge'];
    const winTo = DEFAULT_PRICES.ec2LicensedHourly[`Windows:${to}`];
    expect(winFrom).toBeGreaterThan(DEFAULT_PRICES.ec2OnDemandHourly['c5.2xlarge']);
    expect(win.savings.monthlyUsd).toBeCloseTo((winFrom - winTo) * 4 * 730, 6);
    expect(linux.savings.monthlyUsd).toBeCloseTo((DEFAULT_PRICES.ec2OnDemandHourly['c5.2xlarge'] - DEFAULT_PRICES.ec2OnDemandHourly[to]) * 4 * 730, 6);
    expect(to).toBe('r6i.large');
    expect(win.savings.basis[0]).toBe('(c5.2xlarge Windows, Shared $0.708/h − r6i.large Windows, Shared $0.218/h) × 4 instance(s) (desired capacity) × 730 h = $1430.8/month (on-demand Windows, Shared tenancy list prices; Savings Plans or RIs change the real figure).');
    expect(win.evidence.pricedAs).toEqual({ operatingSystem: 'Windows', words: 'Windows, Shared', priced: true, platformDetails: 'Windows' });
    expect(linux.savings.basis[0]).toContain('c5.2xlarge Linux, Shared $0.34/h');
    expect(linux.savings.basis[0]).not.toContain('assumed');
  });

  it('says Linux rates are assumed when the AMI of the launch template cannot be read', async () => {
    // Prepare: an AMI id the account cannot see (InvalidAMIID.NotFound), next to a readable one in the same DescribeImages batch.
    const sandbox = emptySandbox();
    addLaunchTemplateGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'gone-ami', imageId: 'ami-0000000000dead001' });
    addLaunchTemplateGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'rhel-web', imageId: 'ami-0c0ffee00000be1d1' });
    const env = envFor(sandbox, ['us-east-1']);

    // Act
    const result = await env.run(POLICIES, { forceDryRun: true });

    // Assess: the gone AMI fails the batch; asked one at a time, the RHEL one is still priced as RHEL.
    const gone = result.findings.find((f) => f.resource.id === 'gone-ami')!;
    const rhel = result.findings.find((f) => f.resource.id === 'rhel-web')!;
    expect(gone.savings.basis[0]).toContain('operating system unknown (AMI ami-0000000000dead001: InvalidAMIID.NotFound): Linux rates assumed');
    expect(gone.savings.monthlyUsd).toBeCloseTo((DEFAULT_PRICES.ec2OnDemandHourly['c5.2xlarge'] - DEFAULT_PRICES.ec2OnDemandHourly[gone.evidence.candidate as string]) * 4 * 730, 6);
    expect(rhel.savings.basis[0]).toContain('c5.2xlarge RHEL, Shared $');
    expect(rhel.evidence.pricedAs).toMatchObject({ operatingSystem: 'RHEL', platformDetails: 'Red Hat Enterprise Linux' });
  });
  it('prices a group at Windows rates when its launch template names its AMI as a Systems Manager parameter (resolve:ssm:), resolved with GetParameters', async () => {
    // Prepare: a template whose ImageId is resolve:ssm:<AWS's public Windows parameter> (DescribeLaunchTemplateVersions returns it as is), next to a RHEL group.
    const sandbox = emptySandbox();
    addLaunchTemplateGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'ssm-ami', imageId: 'resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base' });
    addLaunchTemplateGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'rhel-web', imageId: 'ami-0c0ffee00000be1d1' });
    const env = envFor(sandbox, ['us-east-1']);

    // Act
    const result = await env.run(POLICIES, { forceDryRun: true });

    // Assess: the parameter's value (the Windows AMI) is what DescribeImages is asked; RHEL stays RHEL.
    const ssm = result.findings.find((f) => f.resource.id === 'ssm-ami')!;
    const rhel = result.findings.find((f) => f.resource.id === 'rhel-web')!;
    expect(ssm.evidence.pricedAs).toMatchObject({ operatingSystem: 'Windows', platformDetails: 'Windows' });
    expect(ssm.savings.basis[0]).toContain('c5.2xlarge Windows, Shared $0.708/h');
    expect(rhel.evidence.pricedAs).toMatchObject({ operatingSystem: 'RHEL', platformDetails: 'Red Hat Enterprise Linux' });
    expect(rhel.savings.basis[0]).toContain('c5.2xlarge RHEL, Shared $');
    expect(sandbox.callCount('ssm:GetParameters')).toBe(1);
  });
  it('keeps Linux rates and says why when a resolve:ssm: parameter does not exist (InvalidParameters) or ssm:GetParameters is denied', async () => {
    // Prepare
    const missing = emptySandbox();
    addLaunchTemplateGroup(missing, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'ssm-gone', imageId: 'resolve:ssm:/team/web/ami' });
    const denied = emptySandbox({ faults: { failWhen: faultRules([{ operation: 'ssm:GetParameters', error: 'denied' }]).failWhen } });
    addLaunchTemplateGroup(denied, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'ssm-denied', imageId: 'resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base' });

    // Act
    const gone = (await envFor(missing, ['us-east-1']).run(POLICIES, { forceDryRun: true })).findings.find((f) => f.resource.id === 'ssm-gone')!;
    const refused = (await envFor(denied, ['us-east-1']).run(POLICIES, { forceDryRun: true })).findings.find((f) => f.resource.id === 'ssm-denied')!;

    // Assess
    expect(gone.savings.basis[0]).toContain('operating system unknown (AMI resolve:ssm:/team/web/ami: Systems Manager parameter /team/web/ami not found (GetParameters InvalidParameters)): Linux rates assumed');
    expect(refused.savings.basis[0]).toContain('operating system unknown (AMI resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base: Systems Manager parameter /aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base, resolved only at launch, not read (ssm:GetParameters denied)): Linux rates assumed');
    expect(refused.savings.monthlyUsd).toBeCloseTo((DEFAULT_PRICES.ec2OnDemandHourly['c5.2xlarge'] - DEFAULT_PRICES.ec2OnDemandHourly[refused.evidence.candidate as string]) * 4 * 730, 6);
  });
  it('refuses a resolve:ssm: parameter that does not hold an AMI id without repeating its value, and never decrypts a SecureString', async () => {
    // Prepare: the parameter values are the account's: a text one holding something else, a SecureString holding a Windows AMI id.
    const sandbox = emptySandbox();
    const account = sandbox.account(SANDBOX_ACCOUNT);
    putSandboxParameter(sandbox, account, 'us-east-1', '/team/web/ami', 'db-password-hunter2');
    putSandboxParameter(sandbox, account, 'us-east-1', '/team/win/ami', 'ami-0c0ffee0000057d01', 'aws:ec2:image', 'SecureString');
    addLaunchTemplateGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'ssm-text', imageId: 'resolve:ssm:/team/web/ami' });
    addLaunchTemplateGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'ssm-secure', imageId: 'resolve:ssm:/team/win/ami' });

    // Act
    const result = await envFor(sandbox, ['us-east-1']).run(POLICIES, { forceDryRun: true });
    const text = result.findings.find((f) => f.resource.id === 'ssm-text')!;
    const secure = result.findings.find((f) => f.resource.id === 'ssm-secure')!;

    // Assess
    expect(text.savings.basis[0]).toContain('operating system unknown (AMI resolve:ssm:/team/web/ami: Systems Manager parameter /team/web/ami does not hold an AMI id (data type text)): Linux rates assumed');
    expect(JSON.stringify(text)).not.toContain('hunter2');
    expect(secure.savings.basis[0]).toContain('operating system unknown (AMI resolve:ssm:/team/win/ami: Systems Manager parameter /team/win/ami is a SecureString (not decrypted; an AMI parameter is a String)): Linux rates assumed');
    expect(secure.savings.monthlyUsd).toBeCloseTo((DEFAULT_PRICES.ec2OnDemandHourly['c5.2xlarge'] - DEFAULT_PRICES.ec2OnDemandHourly[secure.evidence.candidate as string]) * 4 * 730, 6);
    expect(sandbox.callCount('ec2:DescribeImages')).toBe(0);
  });
  it('resolves eleven resolve:ssm: parameters with two GetParameters calls (10 names a call)', async () => {
    // Prepare
    const sandbox = emptySandbox();
    for (let i = 0; i < 11; i++) {
      putSandboxParameter(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1', `/team/app${String(i).padStart(2, '0')}/ami`, 'ami-0c0ffee0000057d01');
      addLaunchTemplateGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: `app${i}`, imageId: `resolve:ssm:/team/app${String(i).padStart(2, '0')}/ami` });
    }

    // Act
    const result = await envFor(sandbox, ['us-east-1']).run(POLICIES, { forceDryRun: true });

    // Assess
    expect(sandbox.callCount('ssm:GetParameters')).toBe(2);
    expect(result.findings.filter((f) => f.resource.id.startsWith('app')).map((f) => (f.evidence.pricedAs as { operatingSystem: string }).operatingSystem)).toEqual(Array(11).fill('Windows'));
  });
  it("prices a group at Windows rates when its launch template names another account's deprecated Windows AMI", async () => {
    // Prepare: a public Windows AMI of another account, deprecated a year ago (DescribeImages leaves it out unless IncludeDeprecated).
    const sandbox = emptySandbox();
    const ami = 'ami-0c0ffee0000de9a1e';
    ec2State(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').images[ami] = {
      id: ami, name: 'Windows_Server-2019-English-Full-Base-2023.01.11', state: 'available', creationDate: '2023-01-11T00:00:00.000Z',
      deprecationTime: new Date(sandbox.now().getTime() - 365 * 86_400_000).toISOString(), ownerId: '801119661308', snapshotIds: [], platformDetails: 'Windows',
    };
    addLaunchTemplateGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'old-win', imageId: ami });
    const env = envFor(sandbox, ['us-east-1']);

    // Act
    const result = await env.run(POLICIES, { forceDryRun: true });

    // Assess
    const win = result.findings.find((f) => f.resource.id === 'old-win')!;
    expect(win.evidence.pricedAs).toMatchObject({ operatingSystem: 'Windows', platformDetails: 'Windows' });
    expect(win.savings.basis[0]).toContain('c5.2xlarge Windows, Shared $0.708/h');
  });
  it('keeps the operating system of the groups on a template when another group on it names a deleted version', async () => {
    // Prepare: a Windows template with version 1; a second group on the same template names version 7, which does not exist.
    const sandbox = emptySandbox();
    const template = addLaunchTemplateGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'win-web', imageId: 'ami-0c0ffee0000057d01', version: '1' });
    addGroup(sandbox, SANDBOX_ACCOUNT, 'us-east-1', { ...GROUP, name: 'stale-version', launchTemplate: { LaunchTemplateId: template.id, LaunchTemplateName: template.name, Version: '7' } });
    const env = envFor(sandbox, ['us-east-1']);

    // Act
    const result = await env.run(POLICIES, { forceDryRun: true });

    // Assess: the call for versions 1 and 7 fails as a whole; asked per version, version 1 is still read as Windows.
    const win = result.findings.find((f) => f.resource.id === 'win-web')!;
    const stale = result.findings.find((f) => f.resource.id === 'stale-version')!;
    expect(win.evidence.pricedAs).toMatchObject({ operatingSystem: 'Windows', platformDetails: 'Windows' });
    expect(stale.savings.basis[0]).toContain(`operating system unknown (launch template ${template.id} not readable: InvalidLaunchTemplateId.VersionNotFound): Linux rates assumed`);
  });
});
