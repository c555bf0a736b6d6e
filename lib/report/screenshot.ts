/**
 * Regenerates docs/images/report-screenshot.png for the docs: a read-only scan of a freshly
 * seeded small-company sandbox with the default policies, rendered in headless Chromium.
 *
 *   node --import tsx lib/report/screenshot.ts [out.png]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AwsClients } from '../aws/clients.ts';
import { MemoryActionStore } from '../audit/store.ts';
import { runPolicies } from '../engine/run.ts';
import { loadPolicies } from '../policy/load.ts';
import { seededSandbox, SANDBOX_ACCOUNT } from '../sandbox/index.ts';
import { launchBrowser } from './browser.ts';
import { renderHtmlReport } from './html.ts';

const out = resolve(process.argv[2] ?? 'docs/images/report-screenshot.png');
const sandbox = seededSandbox();
const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false });
const regions = ['eu-west-1', 'us-east-1'];
const result = await runPolicies({ policies: loadPolicies().policies, forceDryRun: true }, { account: SANDBOX_ACCOUNT, clients, store: new MemoryActionStore(), defaultRegions: regions });
const dir = mkdtempSync(join(tmpdir(), 'trimtab-shot-'));
const file = join(dir, 'report.html');
writeFileSync(file, renderHtmlReport(result, { account: SANDBOX_ACCOUNT, regions, generatedAt: new Date(), command: 'scan', apiCalls: sandbox.callCount() }));
const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.goto(`file://${file}`);
  // Open the first finding's evidence so the picture shows it.
  await page.locator('#findings > tbody > tr').first().locator('summary').click();
  await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1360, height: 1250 }, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
