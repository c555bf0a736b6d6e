/**
 * Issue 28: the approval email (text and HTML), the approval page, the HTML report and the CLI's
 * findings table group findings by owner (the stack, the node group, …; "No owner" last), so a
 * team sees its own changes together; within a group the findings keep their order. Owner names
 * come from tags (account-controlled): they are escaped everywhere.
 */
import { describe, expect, it } from 'vitest';
import { approvalRequestEmail } from '../../../lib/approval/email.ts';
import { signLink } from '../../../lib/approval/links.ts';
import { handleApprovalRequest } from '../../../lib/approval/page.ts';
import { MemoryApprovalStore, type ApprovalRecord } from '../../../lib/approval/store.ts';
import { findingsTable } from '../../../lib/cli/format.ts';
import type { FindingResult, RunResult } from '../../../lib/engine/run.ts';
import type { Owner } from '../../../lib/ownership/owners.ts';
import { renderHtmlReport } from '../../../lib/report/html.ts';
import { groupByOwner } from '../../../lib/report/owner-groups.ts';
import { findingJson } from '../../../lib/report/json.ts';
import { CLOCK, SECRET } from '../../approval-helpers.ts';

const stack = (name: string, logicalId: string): Owner => ({ kind: 'cloudformation', name: `CloudFormation stack ${name} (logical id ${logicalId})`, signal: 'tag aws:cloudformation:stack-name', confirmed: false, stackName: name, logicalId });

const finding = (id: string, monthlyUsd: number, owner?: Owner): FindingResult => ({
  id,
  policy: 'lower-min',
  detector: 'min-size-unneeded',
  mode: 'approval',
  status: 'actionable',
  outcome: 'awaiting-approval',
  reason: `${id} idles.`,
  evidence: { cpuP95: 12 },
  resource: { type: 'asg', id, arn: `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/${id}`, account: '123456789012', region: 'us-east-1', tags: {} },
  savings: { monthlyUsd, basis: [] },
  ...(owner ? { owner } : {}),
  plan: { action: 'lower-min-size', summary: `Lower MinSize of ${id}.`, params: {}, undo: 'Raise it back.', hash: `h-${id}` },
});

/** Today's order (largest saving first), with owners interleaved: two stacks and unowned groups. */
const MIXED = [
  finding('plain-big', 90),
  finding('shop-web', 80, stack('shop-prod', 'WebGroup')),
  finding('billing-web', 70, stack('billing-prod', 'Web')),
  finding('plain-small', 60),
  finding('shop-batch', 50, stack('shop-prod', 'BatchGroup')),
];

const record = (findings: FindingResult[]): ApprovalRecord => ({
  approvalId: 'apr-owners00001',
  status: 'waiting',
  createdAt: CLOCK().toISOString(),
  updatedAt: CLOCK().toISOString(),
  account: '123456789012',
  policy: { id: 'lower-min', resource: 'asg', detector: { type: 'min-size-unneeded' }, mode: 'approval', triggers: [], scope: {}, limits: { maxActionsPerRun: 50, cooldownHours: 24 }, approval: { approvers: ['oncall@example.com'], timeoutHours: 72 } } as never,
  findings,
  approvers: ['oncall@example.com'],
  timeoutSeconds: 259_200,
  expiresAt: '2026-11-04T00:00:00.000Z',
  ttl: 0,
  taskToken: 'task-token',
});

const LINKS = { approve: 'https://x.example/a?t=A', reject: 'https://x.example/a?t=R' };
const EVIL = '<img src=x onerror=alert(1)>';

async function approvalPage(findings: FindingResult[]) {
  const store = new MemoryApprovalStore(CLOCK);
  await store.create(structuredClone(record(findings)));
  const t = signLink({ approvalId: 'apr-owners00001', decision: 'approve', recipient: 'oncall@example.com', expiresAt: new Date(CLOCK().getTime() + 3_600_000) }, SECRET);
  return handleApprovalRequest({ method: 'GET', path: '/approvals/apr-owners00001', query: `t=${encodeURIComponent(t)}`, headers: {} }, { store, now: CLOCK, secret: async () => SECRET, tasks: { success: async () => {}, failure: async () => {} } });
}

const runResult = (findings: FindingResult[]): RunResult => ({
  findings,
  actions: [],
  errors: [],
  summary: { findings: findings.length, protected: 0, actionable: findings.length, applied: 0, awaitingApproval: 0, failed: 0, estimatedMonthlySavingsUsd: findings.reduce((t, f) => t + f.savings.monthlyUsd, 0) },
} as unknown as RunResult);

describe('groupByOwner', () => {
  it('groups by stack in the order the first finding of each comes, "No owner" last, each group in the order given', () => {
    // Act
    const groups = groupByOwner(MIXED);

    // Assess
    expect(groups.map((g) => [g.label, g.items.map((f) => f.resource.id)])).toEqual([
      ['CloudFormation stack shop-prod', ['shop-web', 'shop-batch']],
      ['CloudFormation stack billing-prod', ['billing-web']],
      ['No owner', ['plain-big', 'plain-small']],
    ]);
  });

  it('names the node group, the Beanstalk environment and Terraform, and tells apart one stack name in two regions', () => {
    // Prepare
    const eks: Owner = { kind: 'eks-nodegroup', name: 'EKS node group workers of cluster platform', signal: 'tags', confirmed: false, cluster: 'platform', nodegroup: 'workers' };
    const eb: Owner = { kind: 'elastic-beanstalk', name: 'Elastic Beanstalk environment web', signal: 'tag', confirmed: false, environment: 'web' };
    const tf: Owner = { kind: 'terraform', name: 'Terraform (tag ManagedBy=terraform)', signal: 'tag ManagedBy=terraform', confirmed: false, tag: 'ManagedBy=terraform' };
    const west = { ...finding('w', 1, stack('shop-prod', 'A')), resource: { ...finding('w', 1).resource, region: 'eu-west-1' } };

    // Act
    const labels = groupByOwner([finding('a', 1, eks), finding('b', 1, eb), finding('c', 1, tf), finding('d', 1, stack('shop-prod', 'A')), west]).map((g) => g.label);

    // Assess
    expect(labels).toEqual([
      'EKS node group workers (cluster platform)',
      'Elastic Beanstalk environment web',
      'Terraform (ManagedBy=terraform)',
      'CloudFormation stack shop-prod (123456789012 us-east-1)',
      'CloudFormation stack shop-prod (123456789012 eu-west-1)',
    ]);
  });
  it('puts an instance of a stack-made group with that stack, and a resource a Terraform state lists under the state file', () => {
    // Prepare
    const instanceOfGroup: Owner = { kind: 'autoscaling-group', name: 'Auto Scaling group shop-web (of CloudFormation stack shop-prod, logical id WebGroup)', signal: 'tags', confirmed: false, group: 'shop-web', stackName: 'shop-prod', logicalId: 'WebGroup' };
    const tfState: Owner = { kind: 'terraform', name: 'Terraform resource aws_autoscaling_group.web (state s3://tf/prod.tfstate)', signal: 'Terraform state s3://tf/prod.tfstate', confirmed: true, address: 'aws_autoscaling_group.web', stateFile: 's3://tf/prod.tfstate' };

    // Act
    const groups = groupByOwner([finding('i-0abc', 5, instanceOfGroup), finding('tf-web', 4, tfState), finding('shop-web', 3, stack('shop-prod', 'WebGroup'))]);

    // Assess
    expect(groups.map((g) => [g.label, g.items.map((f) => f.resource.id)])).toEqual([
      ['CloudFormation stack shop-prod', ['i-0abc', 'shop-web']],
      ['Terraform state s3://tf/prod.tfstate', ['tf-web']],
    ]);
  });
});

describe('the approval email by owner', () => {
  it('lists the changes under one heading per stack, then "No owner", numbered on, each group in today\'s order', () => {
    // Act
    const { text } = approvalRequestEmail(record(MIXED), 'oncall@example.com', LINKS);

    // Assess
    expect(text).toContain('By owner: CloudFormation stack shop-prod: 2 changes, est. $130.00/month; CloudFormation stack billing-prod: 1 change, est. $70.00/month; No owner: 2 changes, est. $150.00/month.');
    const lines = text.split('\n').filter((l) => /^(CloudFormation stack|No owner|\d+\. )/.test(l));
    expect(lines).toEqual([
      'CloudFormation stack shop-prod: 2 changes, est. $130.00/month',
      '1. shop-web (us-east-1, asg) — est. $80.00/month',
      '2. shop-batch (us-east-1, asg) — est. $50.00/month',
      'CloudFormation stack billing-prod: 1 change, est. $70.00/month',
      '3. billing-web (us-east-1, asg) — est. $70.00/month',
      'No owner: 2 changes, est. $150.00/month',
      '4. plain-big (us-east-1, asg) — est. $90.00/month',
      '5. plain-small (us-east-1, asg) — est. $60.00/month',
    ]);
  });

  it('puts a heading row per owner in the HTML part, the resources under it', () => {
    // Act
    const { html } = approvalRequestEmail(record(MIXED), 'oncall@example.com', LINKS);

    // Assess
    const order = [...html.matchAll(/<tr data-owner="([^"]+)">|<strong>([a-z-]+)<\/strong><br>/g)].map((m) => m[1] ?? m[2]);
    expect(order).toEqual(['CloudFormation stack shop-prod', 'shop-web', 'shop-batch', 'CloudFormation stack billing-prod', 'billing-web', 'No owner', 'plain-big', 'plain-small']);
  });

  it('escapes a stack name taken from a tag in the HTML part and neutralises its line breaks in the text part', () => {
    // Prepare: anyone who may tag a resource writes the stack-name tag
    const forged = [finding('x', 5, stack(`${EVIL}\nApprove: https://evil.example`, 'L')), finding('y', 1)];

    // Act
    const email = approvalRequestEmail(record(forged), 'oncall@example.com', LINKS);

    // Assess
    expect(email.html).not.toContain('<img');
    expect(email.html).toContain('CloudFormation stack &lt;img src=x onerror=alert(1)&gt;\\u000aApprove: https://evil.example: 1 change');
    expect(email.text).not.toMatch(/^Approve: https:\/\/evil/m);
    expect(email.text).toContain('CloudFormation stack <img src=x onerror=alert(1)>\\u000aApprove: https://evil.example: 1 change, est. $5.00/month');
  });

  it('leaves an approval without owners as it was: no owner headings', () => {
    // Act
    const email = approvalRequestEmail(record([finding('a', 2), finding('b', 1)]), 'oncall@example.com', LINKS);

    // Assess
    expect(email.text).not.toContain('By owner');
    expect(email.text).not.toContain('No owner');
    expect(email.html).not.toContain('data-owner');
  });
});

describe('the approval page by owner', () => {
  it('shows one heading per owner with its count and saving, its resources (each with its checkbox) under it', async () => {
    // Act
    const response = await approvalPage(MIXED);

    // Assess
    expect(response.statusCode).toBe(200);
    const order = [...response.body.matchAll(/<h2 class="owner" data-owner="[^"]+">([^<]+)<\/h2>|name="include" value="([a-z-]+)"/g)].map((m) => m[1] ?? m[2]);
    expect(order).toEqual([
      'CloudFormation stack shop-prod: 2 changes, est. $130.00/month',
      'shop-web',
      'shop-batch',
      'CloudFormation stack billing-prod: 1 change, est. $70.00/month',
      'billing-web',
      'No owner: 2 changes, est. $150.00/month',
      'plain-big',
      'plain-small',
    ]);
  });

  it('escapes a stack name taken from a tag', async () => {
    // Act
    const response = await approvalPage([finding('x', 5, stack(EVIL, 'L'))]);

    // Assess
    expect(response.body).not.toContain('<img');
    expect(response.body).toContain('<h2 class="owner" data-owner="CloudFormation stack &lt;img src=x onerror=alert(1)&gt;">CloudFormation stack &lt;img src=x onerror=alert(1)&gt;: 1 change, est. $5.00/month</h2>');
  });
});

describe('the reports by owner', () => {
  it('adds a "By owner" section to the HTML report: each stack with its findings in the table\'s order, then "No owner" as a count', () => {
    // Act
    const html = renderHtmlReport(runResult(MIXED), { account: '123456789012', regions: ['us-east-1'], generatedAt: CLOCK(), command: 'scan' });

    // Assess
    const section = html.slice(html.indexOf('<section class="s-owners"'), html.indexOf('</section>', html.indexOf('<section class="s-owners"')));
    const order = [...section.matchAll(/<h3>([^<]+)<\/h3>|<strong>([a-z-]+)<\/strong>/g)].map((m) => m[1] ?? m[2]);
    expect(order).toEqual([
      'CloudFormation stack shop-prod: 2 findings, est. $130.00/month',
      'shop-web',
      'shop-batch',
      'CloudFormation stack billing-prod: 1 finding, est. $70.00/month',
      'billing-web',
      'No owner: 2 findings, est. $150.00/month',
    ]);
    expect(html).toContain('<tr class="status-actionable" data-benefit="cost" data-owner="CloudFormation stack shop-prod">');
  });

  it('escapes an owner name in the HTML report, and adds no section when no finding has an owner', () => {
    // Act
    const evil = renderHtmlReport(runResult([finding('x', 5, stack(EVIL, 'L'))]), { account: '123456789012', regions: ['us-east-1'], generatedAt: CLOCK(), command: 'scan' });
    const plain = renderHtmlReport(runResult([finding('a', 2)]), { account: '123456789012', regions: ['us-east-1'], generatedAt: CLOCK(), command: 'scan' });

    // Assess
    expect(evil).not.toContain('<img');
    expect(evil).toContain('<h3>CloudFormation stack &lt;img src=x onerror=alert(1)&gt;: 1 finding, est. $5.00/month</h3>');
    expect(plain).not.toContain('s-owners"');
    expect(plain).not.toContain('data-owner');
  });

  it('groups the CLI findings table by owner with an OWNER column, "No owner" last, each group largest saving first', () => {
    // Act
    const text = findingsTable(runResult(MIXED), { width: 200 });

    // Assess
    const rows = text.split('\n').filter((l) => /\basg /.test(l)).map((l) => l.split(/\s{2,}/).slice(0, 2));
    expect(text.split('\n')[0]).toMatch(/^OWNER +RESOURCE +POLICY/);
    expect(rows).toEqual([
      ['CloudFormation stack shop-prod', 'asg shop-web'],
      ['CloudFormation stack shop-prod', 'asg shop-batch'],
      ['CloudFormation stack billing-prod', 'asg billing-web'],
      ['No owner', 'asg plain-big'],
      ['No owner', 'asg plain-small'],
    ]);
  });

  it('names the owner in each block of a narrow CLI table, its control characters shown as escapes', () => {
    // Act
    const text = findingsTable(runResult([finding('x', 5, stack('evil\u001b[2Jname', 'L')), finding('y', 1)]), { width: 40 });

    // Assess
    expect(text).not.toContain('\u001b');
    expect(text).toContain('  owner   CloudFormation stack');
    expect(text).toContain('evil\\u001b[2Jname');
  });

  it('names the owner and its group label in the JSON of a finding, and nothing for a finding without one', () => {
    // Act
    const owned = findingJson(MIXED[1]);
    const plain = findingJson(MIXED[0]);

    // Assess
    expect(owned.owner).toEqual({ ...MIXED[1].owner, group: 'CloudFormation stack shop-prod' });
    expect('owner' in plain).toBe(false);
  });
});
