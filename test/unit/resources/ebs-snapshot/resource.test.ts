import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { snapshotProtection } from '../../../../lib/resources/ebs-snapshot/detectors.ts';
import { toEbsSnapshot } from '../../../../lib/resources/ebs-snapshot/resource.ts';

const botoDate = (_k: string, v: any) =>
  v && typeof v === 'object' && v.__class__ === 'datetime' ? new Date(Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second, Math.floor(v.microsecond / 1000))) : v;

describe('toEbsSnapshot on a recorded DescribeSnapshots response', () => {
  it('keeps the fields the decisions need and recognises the AWS Backup snapshot', () => {
    // Prepare: a real recording (cloud-custodian placebo) with an AWS Backup snapshot.
    const { data } = JSON.parse(readFileSync(new URL('../../../fixtures/ec2/DescribeSnapshots-aws-backup-tag.json', import.meta.url), 'utf8'), botoDate);
    // Act
    const [plain, backup] = data.Snapshots.map(toEbsSnapshot);
    const prepared = { amiRefs: new Map(), volumes: new Map(), publicSnapshots: new Set<string>(), recycleBin: { rules: [] } };
    // Assess
    expect(plain).toMatchObject({ id: 'snap-083a14886f4681675', volumeId: 'vol-04c1b309bb8d18d71', volumeSizeGb: 8, state: 'completed', storageTier: 'standard' });
    expect(plain.startTime).toBe(Date.UTC(2020, 3, 25, 17, 58, 2, 497));
    expect(snapshotProtection(plain, prepared, { allowShared: false, allowNewestOfVolume: false })).toBeUndefined();
    expect(snapshotProtection(backup, prepared, { allowShared: false, allowNewestOfVolume: false })).toMatch(/AWS Backup/);
  });
});
