import { beforeAll, describe, expect, it } from 'vitest';
import { approvalRequestEmail, evidenceLine } from '../../../lib/approval/email.ts';
import type { RunResult } from '../../../lib/engine/run.ts';
import { loadPolicies } from '../../../lib/policy/load.ts';
import { fact, facts, factText } from '../../../lib/report/facts.ts';
import { renderHtmlReport } from '../../../lib/report/html.ts';
import { CLOCK } from '../../approval-helpers.ts';
import { testEnv } from '../../helpers.ts';

describe('factText', () => {
  it('shows an object as labelled facts, a list joined by commas and nested objects in parentheses', () => {
    // Prepare
    const value = { vcpu: 8, memoryGib: 16, listeners: [{ port: 443, protocol: 'HTTPS' }], tags: [] };

    // Act
    const text = factText(value);

    // Assess
    expect(text).toBe('vCPU 8; Memory 16 GiB; Listeners (Port 443, Protocol HTTPS); Tags none');
  });

  it('keeps plain values as they are and says none for null', () => {
    expect([factText('io1'), factText(400), factText(true), factText(null)]).toEqual(['io1', '400', 'yes', 'none']);
  });
});

describe('evidence reads as labelled facts with units (issue #26)', () => {
  it('turns camelCase keys into words and takes the unit from the last one', () => {
    // Act
    const shown = [
      fact('estimatedMonthlyCostUsd', 8),
      fact('sizeGb', 1200),
      fact('atMaxAboveTargetShare', 0.352),
      fact('requestCount14d', 0),
      fact('maxThroughputMiBps', 128),
      fact('ageDays', 400),
      fact('p95DemandInstances', 9.4),
      fact('publicIpv4', 'ephemeral'),
      fact('thresholds', { maxCpuPercent: 10, maxNetworkMb: 5 }),
    ];

    // Assess
    expect(shown.map((f) => `${f.label}: ${f.value}`)).toEqual([
      'Estimated monthly cost: $8.00',
      'Size: 1,200 GB',
      'At max above target share: 35.2 %',
      'Request count (14 days): 0',
      'Max throughput: 128 MiB/s',
      'Age: 400 days',
      'p95 demand instances: 9.4',
      'Public IPv4: ephemeral',
      'Thresholds: Max CPU 10 %; Max network 5 MB',
    ]);
  });

  it('summarises a long series (it is charted) and shows tags as the account wrote them', () => {
    // Act
    const [profile, tags] = facts({ profile: { cpu: [10, 20, 30, 40, 50, 60, 70, 80, 90, 10, 20, 30, 40] }, tags: { 'aws:cloudformation:stack-name': 'web', costCenter: 'A1' } });

    // Assess
    expect(profile.value).toBe('CPU 13 values (min 10, average 42.3, max 90)');
    expect(tags.value).toBe('aws:cloudformation:stack-name=web; costCenter=A1');
  });
});

describe('the evidence of real sandbox findings', () => {
  let result: RunResult;
  beforeAll(async () => {
    const env = testEnv('small-company', { clock: CLOCK });
    result = await env.run(loadPolicies('trimtab.yml').policies, { forceDryRun: true });
  }, 60_000);

  it('has no camelCase label and no raw JSON in any finding of a scan', () => {
    // Act
    const all = result.findings.flatMap((f) => facts(f.evidence).map((x) => ({ finding: `${f.policy} ${f.resource.id}`, ...x })));

    // Assess
    expect(result.findings.length).toBeGreaterThan(50);
    expect(all.filter((x) => /[a-z][A-Z][a-z]/.test(x.label)).map((x) => `${x.finding}: ${x.label}`)).toEqual([]);
    expect(all.filter((x) => /[{[]"/.test(x.value) || /"\w+":/.test(x.value)).map((x) => `${x.finding}: ${x.label}: ${x.value.slice(0, 80)}`)).toEqual([]);
  });

  it('shows labelled facts with units in the report\'s evidence tables', () => {
    // Act
    const html = renderHtmlReport(result, { account: '123456789012', regions: ['us-east-1'], generatedAt: CLOCK(), command: 'scan' });

    // Assess
    const labels = [...html.matchAll(/<tr><th scope="row">([^<]+)<\/th>/g)].map((m) => m[1]);
    expect(labels.length).toBeGreaterThan(200);
    expect(labels.filter((l) => /[a-z][A-Z][a-z]/.test(l))).toEqual([]);
    expect(html).toMatch(/<th scope="row">Estimated monthly cost<\/th><td>\$\d[\d,]*\.\d\d<\/td>/);
    expect(html).toMatch(/<th scope="row">Age<\/th><td>\d[\d,]* days?<\/td>/);
  });

  it('shows labelled facts with units in the approval email', () => {
    // Prepare
    const snapshot = result.findings.find((f) => f.resource.type === 'ebs-snapshot' && f.plan)!;
    const record = { approvalId: 'apr-facts', status: 'waiting', createdAt: CLOCK().toISOString(), updatedAt: CLOCK().toISOString(), account: '123456789012', policy: { id: snapshot.policy }, findings: [snapshot], approvers: ['a@example.com'], timeoutSeconds: 1, expiresAt: CLOCK().toISOString(), ttl: 0 } as never;

    // Act
    const email = approvalRequestEmail(record, 'a@example.com', { approve: 'https://a.example/y', reject: 'https://a.example/n' });

    // Assess
    const line = evidenceLine(snapshot.evidence);
    expect(line).toMatch(/^Age: \d+ days; Start time: 20\d\d-/);
    expect(email.text).toContain(`Evidence: ${line}`);
    expect(line).not.toMatch(/[a-z][A-Z]\w*:/);
  });
});
