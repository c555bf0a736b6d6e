import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { approvalRequestEmail, escapeHtml, outcomeEmail } from '../../lib/approval/email.ts';
import { signLink } from '../../lib/approval/links.ts';
import { handleApprovalRequest } from '../../lib/approval/page.ts';
import { MemoryApprovalStore, type ApprovalRecord } from '../../lib/approval/store.ts';
import type { FindingResult, RunResult } from '../../lib/engine/run.ts';
import { loadPolicies } from '../../lib/policy/load.ts';
import { launchBrowser } from '../../lib/report/browser.ts';
import { renderHtmlReport } from '../../lib/report/html.ts';
import { CLOCK, SECRET } from '../approval-helpers.ts';
import { testEnv } from '../helpers.ts';

/**
 * The report, the approval page and the approval email on a phone: rendered at 390 CSS px in the
 * real browser (lib/report/browser.ts), nothing may make the page scroll sideways. A wide data
 * table may scroll inside its own box; the page itself never does.
 */
const WIDTH = 390;
/** Set TRIMTAB_SHOTS=<folder> to keep a full-page screenshot of each page (to look at them). */
const SHOTS = process.env.TRIMTAB_SHOTS;
let dir: string;
let result: RunResult;
let record: ApprovalRecord;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

const LONG_ARN = 'arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/acme-checkout-internal-production-blue/50dc6c495c0c9188';

const UNBROKEN_JSON = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/acme-checkout-internal-production-deployer' }, Action: ['elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeTargetGroups'], Resource: LONG_ARN }] });

/** A finding with the long, unbroken strings real accounts have: ARNs as ids, nested evidence. */
const longFinding = (template: FindingResult): FindingResult => ({
  ...template,
  id: `f-${LONG_ARN}`,
  resource: { ...template.resource, id: LONG_ARN, arn: LONG_ARN, region: 'eu-central-1' },
  reason: `Load balancer ${LONG_ARN} received 0 requests in 14 days`,
  evidence: {
    requestCount14d: 0,
    targetGroups: ['arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/acme-checkout-internal-tg-blue/943f017f100becff'],
    listeners: [{ port: 443, protocol: 'HTTPS', certificateArn: 'arn:aws:acm:eu-central-1:123456789012:certificate/5e0b5d2a-0f3c-4a7e-9c62-1f0bf2f0c1aa' }],
    tags: { 'aws:cloudformation:stack-name': 'acme-checkout-internal-production-blue-green-stack', owner: 'payments-platform-team@example.com' },
    // Unbroken strings as accounts hold them: a JSON document in one string, a token with no break in it.
    policyDocument: UNBROKEN_JSON,
    sessionToken: 'IQoJb3JpZ2luX2VjEJr'.repeat(20),
  },
  plan: { ...template.plan!, summary: `Delete load balancer ${LONG_ARN} after saving its configuration`, undo: `Recreate ${LONG_ARN} from the saved configuration (new DNS name)` },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-narrow-'));
  const env = testEnv('small-company', { clock: CLOCK });
  result = await env.run(loadPolicies('trimtab.yml').policies, { forceDryRun: true });
  const planned = result.findings.filter((f) => f.plan && f.status !== 'protected');
  const pick = [...new Map(planned.map((f) => [f.resource.type, f])).values()].slice(0, 5);
  record = {
    approvalId: 'apr-narrow00001',
    status: 'waiting',
    createdAt: CLOCK().toISOString(),
    updatedAt: CLOCK().toISOString(),
    account: '123456789012',
    policy: { id: 'unused-load-balancers-and-friends-with-a-long-policy-id', description: 'Delete what nobody uses', resource: 'load-balancer', detector: { type: 'd' }, mode: 'approval', triggers: [], scope: {}, limits: { maxActionsPerRun: 50, cooldownHours: 24 }, approval: { approvers: ['oncall@example.com'], timeoutHours: 72 } } as never,
    findings: [longFinding(pick[0]), ...pick],
    approvers: ['oncall@example.com'],
    timeoutSeconds: 259_200,
    expiresAt: '2026-11-04T00:00:00.000Z',
    ttl: 0,
    taskToken: 'task-token',
  };
  browser = await launchBrowser();
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Overflow {
  scrollWidth: number;
  offenders: string[];
}

/**
 * The document's width, and every element whose right edge passes the viewport, unless it sits
 * inside a box that scrolls on its own (overflow-x auto/scroll/hidden) that itself fits.
 */
async function overflowAt(page: Page, html: string, name: string): Promise<Overflow> {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, html);
  await page.setViewportSize({ width: WIDTH, height: 800 });
  await page.goto(`file://${file}`);
  // Open every <details>: the evidence inside must fit too.
  await page.evaluate(`document.querySelectorAll('details').forEach((d) => d.setAttribute('open', ''))`);
  if (SHOTS) {
    // The top of the page, and (the report) its findings table: a whole report is too tall to look at.
    const size = (await page.evaluate(`({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight, table: document.querySelector('#findings')?.getBoundingClientRect().top })`)) as { width: number; height: number; table?: number };
    const clip = (y: number) => ({ x: 0, y, width: size.width, height: Math.min(2000, size.height - y) });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, clip: clip(0) });
    if (size.table !== undefined) await page.screenshot({ path: join(SHOTS, `${name}-table.png`), fullPage: true, clip: clip(Math.floor(size.table)) });
  }
  return (await page.evaluate(MEASURE.replace('WIDTH', String(WIDTH)))) as Overflow;
}

/** Runs in the page (a string: this project's TypeScript has no DOM types). */
const MEASURE = `(() => {
  const width = WIDTH;
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  };
  const describe = (el) => {
    const id = el.id ? '#' + el.id : '';
    const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 50);
    return '<' + el.tagName.toLowerCase() + id + cls + '> right edge ' + Math.round(el.getBoundingClientRect().right) + 'px "' + text + '"';
  };
  const offenders = [...document.body.querySelectorAll('*')].filter((el) => el.getBoundingClientRect().right > width + 0.5 && !clipped(el));
  // Name the innermost offenders: their ancestors are wide because of them.
  const innermost = offenders.filter((el) => !offenders.some((o) => o !== el && el.contains(o)));
  return { scrollWidth: document.documentElement.scrollWidth, offenders: innermost.slice(0, 12).map(describe) };
})()`;

/** The rendered width of the first element matching `selector`. */
const widthOf = async (page: Page, selector: string) => Math.round(await page.locator(selector).first().evaluate((el) => el.getBoundingClientRect().width));

function expectFits(overflow: Overflow) {
  expect(overflow.offenders, `wider than ${WIDTH}px:\n${overflow.offenders.join('\n')}`).toEqual([]);
  expect(overflow.scrollWidth).toBeLessThanOrEqual(WIDTH);
}

describe('at 390 px wide (a phone), nothing scrolls sideways', () => {
  it('fits the HTML report of a sandbox scan, with every evidence block open', async () => {
    const html = renderHtmlReport(result, { account: '123456789012', regions: ['us-east-1', 'eu-west-1'], generatedAt: CLOCK(), command: 'scan', apiCalls: 42 });
    const page = await browser.context.newPage();

    const overflow = await overflowAt(page, html, 'report');

    expect(await page.locator('#findings > tbody > tr').count()).toBe(result.findings.length);
    expect(await widthOf(page, '#findings')).toBeLessThanOrEqual(WIDTH);
    expectFits(overflow);
    await page.close();
  });

  it('fits the approval page of several findings with long ARNs and nested evidence', async () => {
    const store = new MemoryApprovalStore(CLOCK);
    await store.create(structuredClone(record));
    const t = signLink({ approvalId: record.approvalId, decision: 'approve', recipient: 'oncall@example.com', expiresAt: new Date(CLOCK().getTime() + 3_600_000) }, SECRET);
    const response = await handleApprovalRequest(
      { method: 'GET', path: `/approvals/${record.approvalId}`, query: `t=${encodeURIComponent(t)}`, headers: {} },
      { store, now: CLOCK, secret: async () => SECRET, tasks: { success: async () => {}, failure: async () => {} } },
    );
    expect(response.statusCode).toBe(200);
    const page = await browser.context.newPage();

    const overflow = await overflowAt(page, response.body, 'approval-page');

    expect(await page.locator('input[name=include]').count()).toBe(record.findings.length);
    expectFits(overflow);
    await page.close();
  });

  it('fits the approval email of the same findings, styled inline only', async () => {
    const email = approvalRequestEmail(record, 'oncall@example.com', { approve: `https://approve.example.com/approvals/${record.approvalId}?t=${'x'.repeat(300)}`, reject: 'https://approve.example.com/r' });
    expect(email.html).not.toContain('<style');
    const page = await browser.context.newPage();

    const overflow = await overflowAt(page, email.html, 'approval-email');

    expect(await page.getByText(LONG_ARN, { exact: false }).count()).toBeGreaterThan(0);
    // The unbroken JSON string is there (cut to the evidence line's 120 characters), wrapped inside the width.
    expect(email.html).toContain(escapeHtml(`Policy document: ${UNBROKEN_JSON.slice(0, 60)}`));
    expect(await widthOf(page, 'table')).toBeLessThanOrEqual(WIDTH);
    expectFits(overflow);
    await page.close();
  });

  it('fits the outcome email of the same findings, with long action ids and undo commands', async () => {
    const done: ApprovalRecord = {
      ...record,
      status: 'fixed',
      decision: { decision: 'approve', actor: 'oncall@example.com', at: CLOCK().toISOString(), excluded: [], via: 'link' } as never,
      actions: record.findings.map((f, i) => ({
        findingId: f.id,
        actionId: `act-${i}-${f.resource.id}`,
        resourceId: f.resource.id,
        region: f.resource.region,
        status: 'verified' as const,
        detail: `${f.plan?.summary ?? ''}: verified`,
        undo: { supported: 'yes', how: f.plan?.undo ?? '' },
      })),
    };
    const email = outcomeEmail(done);
    expect(email.html).not.toContain('<style');
    const page = await browser.context.newPage();

    const overflow = await overflowAt(page, email.html, 'outcome-email');

    expect(await page.getByText(`trimtab undo act-0-${LONG_ARN}`).count()).toBe(1);
    expectFits(overflow);
    await page.close();
  });
});
