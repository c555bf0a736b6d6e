/**
 * Regenerates the docs pictures: a read-only scan of a freshly seeded small-company sandbox with
 * the default policies, rendered in headless Chromium.
 * - docs/images/report-screenshot.png: the top of the HTML report, first evidence opened.
 * - docs/images/report-charts.png: an Auto Scaling group's row (CPU against the target, in service
 *   against MinSize) and the per-volume snapshot timelines.
 * - docs/images/approval-charts.png: the approval page for the findings of one ASG policy.
 *
 *   node --import tsx lib/report/screenshot.ts [out-dir]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { signLink } from '../approval/links.ts';
import { handleApprovalRequest } from '../approval/page.ts';
import { MemoryApprovalStore } from '../approval/store.ts';
import { AwsClients } from '../aws/clients.ts';
import { MemoryActionStore } from '../audit/store.ts';
import { runPolicies } from '../engine/run.ts';
import '../resources/index.ts'; // the resource modules: the policy schema is composed from their registries
import { loadPolicies } from '../policy/load.ts';
import { seededSandbox, SANDBOX_ACCOUNT } from '../sandbox/index.ts';
import { launchBrowser } from './browser.ts';
import { renderHtmlReport } from './html.ts';

const outDir = resolve(process.argv[2] ?? 'docs/images');
const sandbox = seededSandbox();
const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false });
const regions = ['eu-west-1', 'us-east-1'];
const policies = loadPolicies().policies;
const result = await runPolicies({ policies, forceDryRun: true }, { account: SANDBOX_ACCOUNT, clients, store: new MemoryActionStore(), defaultRegions: regions });
const dir = mkdtempSync(join(tmpdir(), 'trimtab-shot-'));
const file = join(dir, 'report.html');
const now = new Date();
writeFileSync(file, renderHtmlReport(result, { account: SANDBOX_ACCOUNT, regions, generatedAt: now, command: 'scan', apiCalls: sandbox.callCount() }));

/** An approval page for a few charted findings, as an approver would open it (a throwaway secret). */
async function approvalHtml(): Promise<string> {
  // One approval request is one policy's findings: the first ASG policy with charted findings.
  const asg = result.findings.find((f) => f.resource.type === 'asg' && f.status === 'actionable' && f.evidence.profile)!;
  const findings = result.findings.filter((f) => f.policy === asg.policy && f.status === 'actionable');
  const secret = 'screenshot-only-secret-0123456789-abcdefgh';
  const store = new MemoryApprovalStore(() => now);
  const approvalId = 'apr-screenshot01';
  const policy = policies.find((p) => p.id === asg.policy)!;
  await store.create({ approvalId, status: 'waiting', createdAt: now.toISOString(), updatedAt: now.toISOString(), account: SANDBOX_ACCOUNT, policy, findings, approvers: ['finops@example.com'], timeoutSeconds: 86_400, ttl: 0 });
  const t = signLink({ approvalId, decision: 'approve', recipient: 'finops@example.com', expiresAt: new Date(now.getTime() + 3_600_000) }, secret);
  const page = await handleApprovalRequest({ method: 'GET', path: `/approvals/${approvalId}`, query: `t=${encodeURIComponent(t)}`, headers: {} }, { store, now: () => now, secret: async () => secret, tasks: { success: async () => {}, failure: async () => {} } });
  return page.body;
}

const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.goto(`file://${file}`);
  // Open the first finding's evidence so the picture shows it.
  await page.locator('#findings > tbody > tr').first().locator('summary').click();
  await page.screenshot({ path: join(outDir, 'report-screenshot.png'), clip: { x: 0, y: 0, width: 1360, height: 1250 }, fullPage: true });
  // The charts close up: an ASG row and the first snapshot timelines, stacked in one picture.
  // (A string: the page's DOM, which this Node-only project does not type.)
  await page.evaluate(`(() => {
    const row = [...document.querySelectorAll('#findings > tbody > tr')].find((r) => r.querySelector('.type')?.textContent === 'asg' && r.querySelector('.evidence-charts'));
    const timelines = document.getElementById('snapshot-timelines');
    const holder = document.createElement('div');
    holder.id = 'shot';
    holder.style.cssText = 'background:#f6f8fa;padding:12px;width:1100px';
    const table = document.createElement('table');
    table.id = 'findings';
    table.appendChild(document.createElement('tbody')).appendChild(row.cloneNode(true));
    holder.appendChild(table);
    const strip = timelines.cloneNode(false);
    [...timelines.children].slice(0, 4).forEach((c) => strip.appendChild(c.cloneNode(true)));
    holder.appendChild(strip);
    document.body.prepend(holder);
  })()`);
  await page.locator('#shot').screenshot({ path: join(outDir, 'report-charts.png') });
  const approval = join(dir, 'approval.html');
  writeFileSync(approval, await approvalHtml());
  const phone = await browser.context.newPage();
  await phone.setViewportSize({ width: 720, height: 640 });
  await phone.goto(`file://${approval}`);
  await phone.screenshot({ path: join(outDir, 'approval-charts.png'), fullPage: false });
  console.log(`wrote report-screenshot.png, report-charts.png and approval-charts.png in ${outDir}`);
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
