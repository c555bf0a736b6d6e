/**
 * Every AWS/S3 BucketSizeBytes StorageType is read and classed: object data in each class, or
 * overhead (archive metadata, small-object padding). The Standard share of NumberOfObjects, which
 * prices a transition, depends on it.
 */
import { describe, expect, it } from 'vitest';
import { readBucketSizes, STORAGE_TYPES } from '../../../../lib/resources/s3-bucket/metrics.ts';
import { seedBucket } from '../../../../lib/resources/s3-bucket/sandbox-seed.ts';
import { isObjectData, transitionEconomics } from '../../../../lib/resources/s3-bucket/savings.ts';
import { regionContext } from '../../../../lib/engine/run.ts';
import { DEFAULT_PRICES } from '../../../../lib/savings/prices.ts';
import { SANDBOX_ACCOUNT } from '../../../../lib/sandbox/sandbox.ts';
import { emptySandbox, envFor } from '../../../helpers.ts';

const clock = () => new Date('2026-11-01T00:00:00Z');

describe('S3 storage types', () => {
  it('reads every storage type the S3 docs list, the One Zone-IA, RRS, Intelligent-Tiering archive and overhead ones included', () => {
    for (const type of [
      'OneZoneIAStorage',
      'ReducedRedundancyStorage',
      'IntelligentTieringAIAStorage',
      'IntelligentTieringAAStorage',
      'IntelligentTieringDAAStorage',
      'GlacierInstantRetrievalStorage',
      'StandardIAObjectOverhead',
      'GlacierObjectOverhead',
      'GlacierS3ObjectOverhead',
      'DeepArchiveS3ObjectOverhead',
      'GlacierInstantRetrievalSizeOverhead',
      'IntAAObjectOverhead',
    ]) {
      expect(STORAGE_TYPES).toContain(type);
    }
    expect(STORAGE_TYPES).toHaveLength(26);
  });

  it('classes overhead as not object data, and a type it does not know as data', () => {
    expect(['StandardIASizeOverhead', 'GlacierObjectOverhead', 'GlacierS3ObjectOverhead', 'OneZoneIASizeOverhead'].map(isObjectData)).toEqual([false, false, false, false]);
    expect(['StandardStorage', 'OneZoneIAStorage', 'GlacierStagingStorage', 'SomeFutureStorage'].map(isObjectData)).toEqual([true, true, true, true]);
  });

  it('attributes objects to Standard by object-data bytes across every class, so a One Zone-IA-heavy bucket is priced right', async () => {
    // Prepare: 400 GB Standard, 3,600 GB One Zone-IA (+ padding overhead), 4,000,000 objects in all.
    const sandbox = emptySandbox({ clock });
    seedBucket(sandbox, SANDBOX_ACCOUNT, {
      name: 'acme-media',
      region: 'us-east-1',
      ageDays: 400,
      gb: { StandardStorage: 400, OneZoneIAStorage: 3600, OneZoneIASizeOverhead: 50 },
      objects: 4_000_000,
    });
    const env = envFor(sandbox, ['us-east-1']);
    const ctx = regionContext(env.deps, 'us-east-1', env.clients, clock());

    // Act
    const sizes = (await readBucketSizes(ctx, ['acme-media'])).get('acme-media')!;
    const economics = transitionEconomics({
      sizes,
      storageClass: 'INTELLIGENT_TIERING',
      afterDays: 30,
      minObjectSizeBytes: 131072,
      assumptions: { coldFraction: 0.5, maxPaybackMonths: 6 },
      prices: DEFAULT_PRICES,
    });

    // Assess: 400/4000 of the objects are Standard (400,000 of ~1 MB), not all 4,000,000 of ~105 KB.
    expect(Object.keys(sizes.bytes).sort()).toEqual(['OneZoneIASizeOverhead', 'OneZoneIAStorage', 'StandardStorage']);
    expect(economics.worthIt).toBe(true);
    expect(economics.estimate.basis[0]).toBe('Standard storage 400 GB in 400,000 objects (average 1049 KB), from CloudWatch BucketSizeBytes/NumberOfObjects of 2026-10-31.');
    // 200 cold GB × (0.023 − 0.0125) − 400 × 0.0025 monitoring = 1.10
    expect(economics.estimate.monthlyUsd).toBe(1.1);
  });
});
