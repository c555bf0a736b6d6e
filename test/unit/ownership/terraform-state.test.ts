import { describe, expect, it } from 'vitest';
import '../../../lib/resources/index.ts';
import { regionContext } from '../../../lib/engine/run.ts';
import { cliPolicyDocument } from '../../../lib/cli/permissions.ts';
import { addGroup } from '../../../lib/resources/asg/sandbox-seed.ts';
import { terraformStateStatements } from '../../../lib/ownership/permissions.ts';
import { indexTerraformState, readTerraformState } from '../../../lib/ownership/terraform-state.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { putSandboxObject, s3State } from '../../../lib/sandbox/services/s3.ts';
import { emptySandbox, envFor, policiesFrom } from '../../helpers.ts';

const REGION = 'us-east-1';
const BUCKET = 'acme-tf-state';
const KEY = 'prod/web/terraform.tfstate';
const GROUP = 'web-app-asg';
const SECRET = 'hunter2-do-not-copy';

/** A version-4 state as Terraform writes it: the group in a module with count, and a database whose attributes hold a password. */
const STATE = {
  version: 4,
  terraform_version: '1.7.5',
  serial: 12,
  lineage: '3f1c0f6e-0000-0000-0000-000000000000',
  outputs: { db_password: { value: SECRET, type: 'string', sensitive: true } },
  resources: [
    { module: 'module.web', mode: 'managed', type: 'aws_autoscaling_group', name: 'app', provider: 'provider["registry.terraform.io/hashicorp/aws"]', instances: [{ index_key: 0, schema_version: 0, attributes: { id: GROUP, name: GROUP, min_size: 6, max_size: 20, user_data: SECRET }, sensitive_attributes: [] }] },
    { mode: 'managed', type: 'aws_db_instance', name: 'main', instances: [{ attributes: { id: 'main-db', arn: 'arn:aws:rds:us-east-1:123456789012:db:main-db', password: SECRET } }] },
    { mode: 'data', type: 'aws_autoscaling_group', name: 'lookup', instances: [{ attributes: { id: 'data-only-group' } }] },
  ],
};

function tfEnv(stateText = JSON.stringify(STATE)) {
  const sandbox = emptySandbox();
  sandbox.account(SANDBOX_ACCOUNT, 'tf');
  addGroup(sandbox, SANDBOX_ACCOUNT, REGION, {
    name: GROUP, ageDays: 200, minSize: 6, maxSize: 20, desiredCapacity: 6, defaultCooldown: 300, instanceType: 'm5.large',
    launchTemplate: { LaunchTemplateId: `lt-${'0'.repeat(16)}2`, LaunchTemplateName: GROUP, Version: '$Default' },
    tags: { team: 'web' }, cpu: { base: 12, noise: 3 }, inService: { base: 6 },
    policies: [{ AutoScalingGroupName: GROUP, PolicyName: 'cpu', PolicyType: 'TargetTrackingScaling', TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 50, DisableScaleIn: false } }],
  } as any);
  s3State(sandbox, sandbox.account(SANDBOX_ACCOUNT)).buckets[BUCKET] = { name: BUCKET, region: REGION, createdAt: sandbox.now().toISOString(), multipartUploads: [] };
  putSandboxObject(sandbox, SANDBOX_ACCOUNT, BUCKET, KEY, stateText);
  const env = envFor(sandbox, [REGION]);
  return { ...env, ctx: () => regionContext(env.deps, REGION, env.clients, sandbox.now()) };
}

const policy = (key = KEY, choice = 'auto') => `
policies:
  - id: lower-min
    resource: asg
    mode: ${choice}
    detector: { type: min-size-unneeded, headroomPercent: 20 }
    action: { type: lower-min-size, floor: 1, maxReductionPercent: 50 }
    owned: { terraformState: [ { bucket: ${BUCKET}, key: ${key} } ] }
`;

describe('Terraform state files in S3', () => {
  it('reports a group the state lists with its Terraform address and attribute, and writes nothing', async () => {
    // Prepare
    const env = tfEnv();
    // Act
    const result = await env.run(policy());
    // Assess
    const finding = result.findings.find((f) => f.resource.id === GROUP)!;
    expect(finding.status).toBe('report-only');
    expect(finding.owner).toMatchObject({ kind: 'terraform', address: 'module.web.aws_autoscaling_group.app[0]', stateFile: `s3://${BUCKET}/${KEY}` });
    expect(finding.outcomeDetail).toBe(`Owned by Terraform resource module.web.aws_autoscaling_group.app[0] (state s3://${BUCKET}/${KEY}), from Terraform state s3://${BUCKET}/${KEY} (listed in the state file). Change it in the Terraform configuration of module.web.aws_autoscaling_group.app[0], not on the resource: set min_size to 3 (now 6), then terraform apply.`);
    expect(env.sandbox.successfulWrites()).toEqual([]);
    expect(env.sandbox.callCount('s3:GetObject')).toBe(1);
  });

  it('copies nothing from the state but the address: no attribute value or secret reaches the findings, run result or logs', async () => {
    // Prepare
    const env = tfEnv();
    const logged: string[] = [];
    env.deps.log = (...args: unknown[]) => void logged.push(JSON.stringify(args));
    // Act
    const result = await env.run(policy());
    // Assess
    expect(JSON.stringify(result)).toContain('module.web.aws_autoscaling_group.app[0]');
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(logged.join('\n')).not.toContain(SECRET);
  });

  it('acts on nothing and names the file when the state is not JSON, without quoting its content', async () => {
    // Prepare
    const env = tfEnv(`{"version": 4, "resources": [ {"password": "${SECRET}" `);
    // Act
    const result = await env.run(policy());
    // Assess
    const finding = result.findings.find((f) => f.resource.id === GROUP)!;
    expect(finding.status).toBe('report-only');
    expect(finding.outcomeDetail).toMatch(new RegExp(`^not acted on: the policy names Terraform state files and the Terraform state s3://${BUCKET}/${KEY} is not JSON( \\(parse error at position \\d+\\))?: nothing was read from it; whether Terraform manages ${GROUP} is unknown$`));
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('acts on nothing and names the file when the state object does not exist (NoSuchKey)', async () => {
    // Prepare
    const env = tfEnv();
    // Act
    const result = await env.run(policy('prod/missing.tfstate'));
    // Assess
    const finding = result.findings.find((f) => f.resource.id === GROUP)!;
    expect(finding.status).toBe('report-only');
    expect(finding.outcomeDetail).toContain(`the Terraform state s3://${BUCKET}/prod/missing.tfstate could not be read (s3:GetObject: NoSuchKey`);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('says, on AccessDenied, that S3 answers it for a missing key without s3:ListBucket and for an SSE-KMS state without kms:Decrypt, and acts on nothing', async () => {
    // Prepare: trimtab has s3:GetObject only, so a missing key (or a KMS-encrypted object) is AccessDenied (403).
    const env = tfEnv();
    env.sandbox.faults.failWhen = ({ operation }) => (operation === 'GetObject' ? Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }) : undefined);
    // Act
    const result = await env.run(policy());
    // Assess
    const finding = result.findings.find((f) => f.resource.id === GROUP)!;
    expect(finding.status).toBe('report-only');
    expect(finding.outcomeDetail).toContain(`the Terraform state s3://${BUCKET}/${KEY} could not be read (s3:GetObject: AccessDenied: Access Denied); check the bucket and key (S3 answers AccessDenied for a missing key to a caller without s3:ListBucket) and, for an SSE-KMS state, kms:Decrypt on its key`);
    expect(env.sandbox.successfulWrites()).toEqual([]);
  });

  it('finds a resource whose instance still carries the pre-0.12 attributes_flat encoding, reading only its arn and id', () => {
    // Prepare
    const text = JSON.stringify({ version: 4, resources: [{ mode: 'managed', type: 'aws_autoscaling_group', name: 'legacy', instances: [{ schema_version: 0, attributes_flat: { id: 'old-group', arn: 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/old-group', 'tag.0.value': SECRET } }] }] });
    // Act
    const index = indexTerraformState(text, 's3://b/k');
    // Assess
    expect([...index.byKey.entries()]).toEqual([
      ['arn|arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/old-group', { address: 'aws_autoscaling_group.legacy', type: 'aws_autoscaling_group' }],
      ['aws_autoscaling_group|old-group', { address: 'aws_autoscaling_group.legacy', type: 'aws_autoscaling_group' }],
    ]);
  });

  it('refuses a state file over the size limit, naming it', async () => {
    // Prepare
    const env = tfEnv();
    // Act
    const read = readTerraformState(env.ctx(), { bucket: BUCKET, key: KEY }, 100);
    // Assess
    await expect(read).rejects.toThrow(`the Terraform state s3://${BUCKET}/${KEY} is ${JSON.stringify(STATE).length} bytes, over 100: refused, nothing was read from it`);
  });

  it('refuses a state that is not format version 4, and ignores data sources and names Terraform would never write', () => {
    // Prepare
    const odd = { version: 4, resources: [
      { mode: 'managed', type: 'aws_instance', name: 'x"; rm -rf', instances: [{ attributes: { id: 'i-1' } }] },
      { mode: 'managed', type: 'aws_instance', name: 'ok', instances: [{ index_key: 'blue', attributes: { id: 'i-2' } }] },
    ] };
    // Act
    const v3 = () => indexTerraformState(JSON.stringify({ version: 3, modules: [] }), 's3://b/k');
    const index = indexTerraformState(JSON.stringify(odd), 's3://b/k');
    const full = indexTerraformState(JSON.stringify(STATE), 's3://b/k');
    // Assess
    expect(v3).toThrow('the Terraform state s3://b/k is version 3, not 4 (trimtab reads Terraform 0.12+ states, format version 4)');
    expect([...index.byKey.entries()]).toEqual([['aws_instance|i-2', { address: 'aws_instance.ok["blue"]', type: 'aws_instance' }]]);
    expect(full.byKey.has('aws_autoscaling_group|data-only-group')).toBe(false);
    expect(full.byKey.get('arn|arn:aws:rds:us-east-1:123456789012:db:main-db')).toEqual({ address: 'aws_db_instance.main', type: 'aws_db_instance' });
  });

  it('grants s3:GetObject on exactly the named state objects, and on nothing else', () => {
    // Prepare
    const policies = policiesFrom(policy());
    // Act
    const statements = terraformStateStatements(policies);
    const document = cliPolicyDocument(policies, 'scan', { partition: 'aws-us-gov', account: '123456789012' });
    // Assess
    expect(statements).toEqual([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${BUCKET}/${KEY}` } }]);
    const getObject = document.Statement.filter((s) => s.Action.includes('s3:GetObject'));
    expect(getObject.map((s) => s.Resource)).toEqual([`arn:aws-us-gov:s3:::${BUCKET}/${KEY}`]);
  });

  it('writes a ${ in a state key as Fn::Sub\'s literal ${!, and gives it back as ${ in the CLI\'s policy', () => {
    // Prepare
    const policies = policiesFrom(policy('"env/${stage}/terraform.tfstate"'));
    // Act
    const [statement] = terraformStateStatements(policies);
    const document = cliPolicyDocument(policies, 'scan', { partition: 'aws-cn' });
    // Assess
    expect(statement.Resource).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${BUCKET}/env/\${!stage}/terraform.tfstate` });
    expect(document.Statement.filter((s) => s.Action.includes('s3:GetObject')).map((s) => s.Resource)).toEqual([`arn:aws-cn:s3:::${BUCKET}/env/\${stage}/terraform.tfstate`]);
  });

  it('refuses a state key with a wildcard in the policy', () => {
    // Prepare
    const yaml = policy('prod/*.tfstate');
    // Act
    const parse = () => policiesFrom(yaml);
    // Assess
    expect(parse).toThrow(/one object key, no wildcards/);
  });
});
