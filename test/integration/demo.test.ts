import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageForm, runDemo, type DemoResult } from '../../lib/cli/demo.ts';
import { invokedAs } from '../../lib/cli/invoked.ts';
import { runTrimtab } from '../cli-helpers.ts';
import { policiesForSchedule } from '../../lib/lambda/sweep.ts';
import { loadPolicies } from '../../lib/policy/load.ts';
import { openSandbox, SANDBOX_ACCOUNT } from '../../lib/sandbox/index.ts';
import { autoscalingState } from '../../lib/sandbox/services/autoscaling.ts';
import { cloudformationState } from '../../lib/sandbox/services/cloudformation.ts';

/**
 * `trimtab demo --approve-all`, in process: the sweep, the alarm, the approval workflow through
 * the local mail catcher and page (over real HTTP), and the summary. Files go to a temp dir.
 */
const ENV_KEYS = ['TRIMTAB_SANDBOX_FILE', 'TRIMTAB_SANDBOX_HISTORY_FILE', 'TRIMTAB_SANDBOX_APPROVALS_FILE'] as const;
let dir: string;
let saved: Record<string, string | undefined>;
let lines: string[];
let result: DemoResult;
let serversBefore: number;
let serversAfter: number;

const listeningServers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

/** Resolves true when something accepts a TCP connection on the URL's port. */
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-demo-'));
  saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  process.env.TRIMTAB_SANDBOX_FILE = join(dir, 'sandbox.json');
  process.env.TRIMTAB_SANDBOX_HISTORY_FILE = join(dir, 'sandbox-actions.jsonl');
  process.env.TRIMTAB_SANDBOX_APPROVALS_FILE = join(dir, 'sandbox-approvals.json');
  lines = [];
  serversBefore = listeningServers();
  // A wide terminal: one row per approval and per action, an undo command on each (test/integration/demo-width.test.ts checks 80 columns).
  result = await runDemo({ policies: 'trimtab.yml', approveAll: true, width: 240, reportFile: join(dir, 'report.html'), print: (line) => lines.push(line) });
  // server.close()'s callback runs before libuv frees the handle: give it a few turns of the loop.
  for (let i = 0; i < 50 && listeningServers() > serversBefore; i++) await new Promise((r) => setTimeout(r, 10));
  serversAfter = listeningServers();
}, 300_000); // the whole demo (every module, 14 approvals, one change per Apply invocation) on a shared 2-core machine

afterAll(() => {
  for (const k of ENV_KEYS) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
  rmSync(dir, { recursive: true, force: true });
});

const output = () => lines.join('\n');

describe('npm run demo -- --approve-all', () => {
  it('sweeps every resource module that has a scheduled policy, and prints a line per module', () => {
    const modules = [...new Set(policiesForSchedule(loadPolicies('trimtab.yml').policies, {}).map((p) => p.resource))].sort();

    const found = [...new Set(result.sweep.findings.map((f) => f.resource.type))].sort();

    expect(found).toEqual(modules);
    expect(modules.length).toBeGreaterThanOrEqual(3);
    for (const module of modules) expect(output()).toMatch(new RegExp(`^${module}\\s+\\d+\\s+\\d+`, 'm'));
    expect(result.sweep.summary.findings).toBe(result.sweep.findings.filter((f) => f.status !== 'protected').length);
  });

  it('applies and verifies the auto-mode fixes of the sweep, and never touches a protected resource', () => {
    const sweepActions = result.actions.filter((a) => a.actor === 'auto');
    const protectedArns = new Set(result.sweep.findings.filter((f) => f.status === 'protected').map((f) => f.resource.arn + f.policy));

    expect(sweepActions.length).toBeGreaterThan(0);
    expect(sweepActions.every((a) => a.status === 'verified' && a.mode === 'auto')).toBe(true);
    expect(sweepActions.filter((a) => protectedArns.has(a.resource.arn + a.policy))).toEqual([]);
    expect(output()).toContain(`Fixed now by auto-mode policies (${sweepActions.length})`);
  });

  it('lets the alarm on acme-web lower its MinSize through the alarm policy', () => {
    const action = result.actions.find((a) => a.actor === 'alarm:trimtab-asg-low-cpu-acme-web');
    const sandbox = openSandbox(process.env.TRIMTAB_SANDBOX_FILE);
    const group = autoscalingState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').groups['acme-web'];

    expect(result.alarm.status).toBe('acted');
    expect(action).toMatchObject({ policy: 'asg-low-cpu-lower-min-size', action: 'lower-min-size', status: 'verified', resource: { id: 'acme-web' } });
    expect(group.minSize).toBe(3);
    expect(output()).toContain('Lower MinSize of acme-web from 6 to 3');
  });

  it('emails every approval request through SES to the local SES server with links to the local approval page, and approves each through those links', () => {
    // The re-stop and stopped-snapshot-delete policies act only under a verified stop decision in the
    // audit trail (a decision is a record, never a tag): the fresh demo account has none, so they ask for nothing.
    const needDecision = ['rds-restop-auto-started', 'rds-stopped-snapshot-delete'];
    const approvalPolicies = policiesForSchedule(loadPolicies('trimtab.yml').policies, {}).filter((p) => p.mode === 'approval' && !needDecision.includes(p.id)).map((p) => p.id);
    // Settled after the decisions: an approval-mode finding sent for approval now names the action it became.
    const requested = new Set(result.sweep.findings.filter((f) => f.mode === 'approval' && f.actionId).map((f) => f.policy));

    expect([...requested].sort()).toEqual([...approvalPolicies].sort());
    expect(result.approvals.map((a) => a.policy).sort()).toEqual([...requested].sort());
    expect(result.mailUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(output()).toContain(`Mail (local SES): ${result.mailUrl}/`);
    for (const approval of result.approvals) {
      // The approvals table names the MessageId the local SES server gave each request's email.
      expect(output()).toMatch(new RegExp(`${approval.approvalId} .* ses-\\d+`));
      expect(approval).toMatchObject({ status: 'fixed', decidedBy: 'finops@example.com' });
      expect(output()).toContain(`POST /approvals/${approval.approvalId} as finops@example.com: 200 Approved`);
    }
    const approved = result.actions.filter((a) => a.mode === 'approval');
    expect(approved.length).toBeGreaterThan(0);
    expect(approved.every((a) => a.actor === 'finops@example.com' && ['verified', 'skipped'].includes(a.status))).toBe(true);
    // An instance resized after approval (ec2-instance right-sizing): the oversized m5.2xlarge now runs m6i.large.
    expect(approved.find((a) => a.action === 'change-instance-type' && a.resource.id === 'i-0a11e00000000e001')).toMatchObject({ status: 'verified', params: { fromType: 'm5.2xlarge', toType: 'm6i.large' } });
  });

  it('ends with the summary: findings, actions, nothing awaiting, savings before and after, and an undo command per action', () => {
    const applied = result.actions.filter((a) => a.status === 'verified');
    const summary = output().slice(output().indexOf('5. Summary'));

    expect(summary).toContain(`Findings:            ${result.sweep.summary.findings} (`);
    expect(summary).toMatch(new RegExp(`Actions applied:     ${applied.length} \\(sweep \\d+, alarm 1, approved \\d+\\)`));
    expect(summary).toContain('Awaiting approval:   0 request(s)');
    expect(result.savings.beforeUsd).toBeGreaterThan(result.savings.afterUsd);
    expect(summary).toMatch(/Est\. monthly waste:  before \$[\d,]+\.\d\d, after \$[\d,]+\.\d\d/);
    for (const a of applied) expect(summary).toContain(`${invokedAs()} undo ${a.id} --sandbox`);
    expect(readFileSync(result.reportFile, 'utf8')).toContain('<table id="findings">');
  });

  it('gives the same counts and totals on the terminal, in the HTML report and in the JSON of the sandbox afterwards', async () => {
    // Prepare: the terminal's summary, the report, and the built command's JSON over the same sandbox files
    const summary = output().slice(output().indexOf('5. Summary'));
    const html = readFileSync(result.reportFile, 'utf8');
    const tile = (name: string) => Number(new RegExp(`<li>${name}<strong>([^<]+)</strong>`).exec(html)?.[1]);
    const applied = Number(/Actions applied:\s+(\d+)/.exec(summary)![1]);
    const awaiting = Number(/Awaiting approval:\s+(\d+) request/.exec(summary)![1]);

    // Act
    // The small-company account's actions: scene 6's one action is in its own account (after the summary).
    const history = (JSON.parse((await runTrimtab(dir, ['history', '--sandbox', '--output', 'json'])).stdout) as Array<{ status: string; resource: { account: string } }>).filter((a) => a.resource.account === SANDBOX_ACCOUNT);
    const scan = JSON.parse((await runTrimtab(dir, ['scan', '--sandbox', '--output', 'json'])).stdout) as { summary: { estimatedMonthlySavingsUsd: number } };

    // Assess: actions applied and awaiting agree everywhere
    expect(applied).toBeGreaterThan(50);
    expect(tile('Actions applied')).toBe(applied);
    expect(history.filter((a) => a.status === 'verified' || a.status === 'applied')).toHaveLength(applied);
    expect(awaiting).toBe(0);
    expect(tile('Awaiting approval')).toBe(0);
    expect(html.match(/<tr><td><code>act-/g)).toHaveLength(result.actions.length);
    // The waste after is what a scan of the sandbox sees now; the reconciliation's terms add up to it
    const money = (text: string) => Number(text.replace(/[$,]/g, ''));
    const [, before, after] = /Est\. monthly waste:  before (\$[\d,.]+), after (\$[\d,.]+):/.exec(summary)!;
    expect(money(after)).toBe(scan.summary.estimatedMonthlySavingsUsd);
    const resolved = money(/− (\$[\d,.]+) of \d+ findings? the changes resolved/.exec(summary)![1]);
    const appeared = money(/\+ (\$[\d,.]+) of \d+ findings? that appeared/.exec(summary)?.[1] ?? '0');
    const moved = /([−+]) (\$[\d,.]+) as the other estimates moved/.exec(summary);
    const changed = moved ? (moved[1] === '−' ? -1 : 1) * money(moved[2]) : 0;
    expect(Math.round((money(before) - resolved + appeared + changed) * 100) / 100).toBe(money(after));
    // Money is written one way: two decimals, the sign before the dollar
    expect(output()).not.toMatch(/\$-|\$\d+\.\d(?!\d)/);
    expect(html).not.toMatch(/\$-/);
  });

  it('reports the stack-owned group of scene 6 with its stack, logical id, property path and new value, writing nothing on the group', () => {
    // Assess
    const scene = output().slice(output().indexOf('6. An owned resource, fixed through its stack'));
    expect(result.owned.reported).toMatchObject({ status: 'report-only', policy: 'owned-asg-report', owner: { kind: 'cloudformation', stackName: 'checkout-prod', logicalId: 'WebGroup' } });
    expect(result.owned.reported!.outcomeDetail).toBe('Owned by CloudFormation stack checkout-prod (logical id WebGroup), from tag aws:cloudformation:stack-name (a tag: a claim, not checked). Change it in stack checkout-prod, not on the resource: set Properties.MinSize of WebGroup to "3" (now "6"), then deploy the stack.');
    expect(scene).toContain('owned-asg-report (owned: report, the default), report-only:');
    expect(result.actions.filter((a) => a.resource.id === 'checkout-prod-web')).toEqual([]);
  });

  it('changes the group of scene 6 through the change set made before approval, approved through its link, executed alone, UPDATE_COMPLETE and IN_SYNC, with its undo command', async () => {
    // Prepare
    const scene = output().slice(output().indexOf('6. An owned resource, fixed through its stack'));
    const owned = result.owned;
    const sandbox = openSandbox(process.env.TRIMTAB_SANDBOX_FILE);

    // Assess: the change set made when approval was asked is the one executed, and no other was made after
    expect(owned.preparedChangeSetId).toMatch(/^arn:aws:cloudformation:us-east-1:444455556666:changeSet\/trimtab-[0-9a-f]+\//);
    expect(owned.executedChangeSetIds).toEqual([owned.preparedChangeSetId]);
    expect(owned.createdAfterApproval).toBe(0);
    expect(scene).toContain(`POST /approvals/${owned.approvalId} as finops@example.com: 200 Approved`);
    expect(scene).toContain('ExecuteChangeSet: 1 call(s), exactly the change set approved; 0 change set(s) made after the approval.');
    // The stack and the group as the sandbox has them afterwards
    expect(owned).toMatchObject({ stackStatus: 'UPDATE_COMPLETE', minSize: 3 });
    expect(autoscalingState(sandbox, sandbox.account('444455556666'), 'us-east-1').groups['checkout-prod-web'].minSize).toBe(3);
    expect(owned.action).toMatchObject({ policy: 'owned-asg-via-stack', status: 'verified', actor: 'finops@example.com', resource: { account: '444455556666', id: 'checkout-prod-web' } });
    expect(owned.action!.verification?.detail).toBe('stack checkout-prod UPDATE_COMPLETE; drift detection finds WebGroup IN_SYNC');
    expect(scene).toContain('Verify: stack checkout-prod UPDATE_COMPLETE; drift detection finds WebGroup IN_SYNC.');
    expect(scene).toContain(`  ${invokedAs()} undo ${owned.action!.id} --sandbox`);
    // The small-company account has no stack: scene 6 is apart from it
    expect(Object.keys(cloudformationState(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1').stacks)).toEqual([]);
  });

  it('undoes the change of scene 6 with the undo command it prints, through a reverse change set', async () => {
    // Act
    const undo = await runTrimtab(dir, ['undo', result.owned.action!.id, '--sandbox']);

    // Assess
    const sandbox = openSandbox(process.env.TRIMTAB_SANDBOX_FILE);
    expect(undo.code).toBe(0);
    expect(undo.stdout).toMatch(/reverse change set trimtab-[0-9a-f]+-undo on stack checkout-prod: Modify WebGroup \(AWS::AutoScaling::AutoScalingGroup\), Replacement False, Properties\.MinSize of WebGroup: 3 → 6/);
    expect(autoscalingState(sandbox, sandbox.account('444455556666'), 'us-east-1').groups['checkout-prod-web'].minSize).toBe(6);
  });

  it('stops every server it started: nothing listens on their ports afterwards', async () => {
    expect(serversAfter).toBe(serversBefore);
    expect(await accepts(result.mailUrl)).toBe(false);
    expect(await accepts(result.approvalBaseUrl)).toBe(false);
  });
});

describe('pageForm', () => {
  it('submits what a browser would: hidden fields and ticked boxes only, entities decoded', () => {
    const html = `<form method="post" action="/approvals/apr-abc123"><input type="hidden" name="t" value="a.b&amp;c"><input type="hidden" name="selection" value="1">
<label><input type="checkbox" name="include" value="f1" checked>x</label><label><input type="checkbox" name="include" value="f2">y</label></form>`;

    const form = pageForm(html);

    expect(form.action).toBe('/approvals/apr-abc123');
    expect([...new URLSearchParams(form.body)]).toEqual([
      ['t', 'a.b&c'],
      ['selection', '1'],
      ['include', 'f1'],
    ]);
  });

  it('refuses a page without a form', () => {
    expect(() => pageForm('<h1>Already decided</h1>')).toThrow('no form');
  });
});
