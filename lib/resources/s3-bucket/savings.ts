/**
 * S3 savings math. Sizes come from CloudWatch AWS/S3 BucketSizeBytes per StorageType and
 * NumberOfObjects; prices from the one price table. Unknown inputs give 0, never a guess, and
 * every estimate says which assumptions it rests on.
 */
import { GIB, usd, type PriceTable } from '../../savings/prices.ts';
import type { SavingsEstimate } from '../../engine/types.ts';
import type { TransitionClass } from './lifecycle.ts';

/**
 * Every StorageType of AWS/S3 BucketSizeBytes (S3 User Guide, "Metrics and dimensions": the
 * metric's valid storage type filters, plus the Intelligent-Tiering archive overhead types of the
 * StorageType dimension), with the storage class it belongs to and whether it holds object data
 * or overhead. Overhead is billed but is not objects: the per-object metadata of archived objects
 * (8 KB in Standard + 32 KB in the archive class each, the *S3ObjectOverhead / *ObjectOverhead
 * types) and the 128 KB minimum-size padding of small IA / Glacier IR objects (*SizeOverhead).
 * Staging storage is parts of unfinished multipart uploads, which NumberOfObjects counts: data.
 */
export const STORAGE_TYPE_INFO = {
  StandardStorage: { storageClass: 'STANDARD', kind: 'data' },
  IntelligentTieringFAStorage: { storageClass: 'INTELLIGENT_TIERING', kind: 'data' },
  IntelligentTieringIAStorage: { storageClass: 'INTELLIGENT_TIERING', kind: 'data' },
  IntelligentTieringAIAStorage: { storageClass: 'INTELLIGENT_TIERING', kind: 'data' },
  IntelligentTieringAAStorage: { storageClass: 'INTELLIGENT_TIERING', kind: 'data' },
  IntelligentTieringDAAStorage: { storageClass: 'INTELLIGENT_TIERING', kind: 'data' },
  IntAAObjectOverhead: { storageClass: 'INTELLIGENT_TIERING', kind: 'overhead' },
  IntAAS3ObjectOverhead: { storageClass: 'INTELLIGENT_TIERING', kind: 'overhead' },
  IntDAAObjectOverhead: { storageClass: 'INTELLIGENT_TIERING', kind: 'overhead' },
  IntDAAS3ObjectOverhead: { storageClass: 'INTELLIGENT_TIERING', kind: 'overhead' },
  StandardIAStorage: { storageClass: 'STANDARD_IA', kind: 'data' },
  StandardIASizeOverhead: { storageClass: 'STANDARD_IA', kind: 'overhead' },
  StandardIAObjectOverhead: { storageClass: 'STANDARD_IA', kind: 'overhead' },
  OneZoneIAStorage: { storageClass: 'ONEZONE_IA', kind: 'data' },
  OneZoneIASizeOverhead: { storageClass: 'ONEZONE_IA', kind: 'overhead' },
  ReducedRedundancyStorage: { storageClass: 'REDUCED_REDUNDANCY', kind: 'data' },
  GlacierInstantRetrievalStorage: { storageClass: 'GLACIER_IR', kind: 'data' },
  GlacierInstantRetrievalSizeOverhead: { storageClass: 'GLACIER_IR', kind: 'overhead' },
  GlacierStorage: { storageClass: 'GLACIER', kind: 'data' },
  GlacierStagingStorage: { storageClass: 'GLACIER', kind: 'data' },
  GlacierObjectOverhead: { storageClass: 'GLACIER', kind: 'overhead' },
  GlacierS3ObjectOverhead: { storageClass: 'GLACIER', kind: 'overhead' },
  DeepArchiveStorage: { storageClass: 'DEEP_ARCHIVE', kind: 'data' },
  DeepArchiveStagingStorage: { storageClass: 'DEEP_ARCHIVE', kind: 'data' },
  DeepArchiveObjectOverhead: { storageClass: 'DEEP_ARCHIVE', kind: 'overhead' },
  DeepArchiveS3ObjectOverhead: { storageClass: 'DEEP_ARCHIVE', kind: 'overhead' },
} as const satisfies Record<string, { storageClass: string; kind: 'data' | 'overhead' }>;

export type StorageType = keyof typeof STORAGE_TYPE_INFO;

/** Whether a StorageType's bytes are objects (a type AWS adds later counts as data, never silently dropped). */
export const isObjectData = (storageType: string) => (STORAGE_TYPE_INFO as Record<string, { kind: string }>)[storageType]?.kind !== 'overhead';

/** Bytes of object data across every class (overhead left out). */
export const objectDataBytes = (sizes: BucketSizes) => Object.entries(sizes.bytes).reduce((sum, [type, bytes]) => sum + (isObjectData(type) ? bytes : 0), 0);

/** What CloudWatch told us about a bucket's size. */
export interface BucketSizes {
  /** false: no BucketSizeBytes datapoint at all in the window (new bucket, or metrics unavailable). */
  known: boolean;
  /** Bytes per CloudWatch StorageType (StandardStorage, StandardIAStorage, …); absent types hold 0. */
  bytes: Record<string, number>;
  /** NumberOfObjects (StorageType AllStorageTypes), when published. */
  objects?: number;
  /** Timestamp of the newest datapoint used. */
  asOf?: string;
}

/** Assumptions a policy can tune (the detector's options); the defaults are stated in docs/resources/s3-bucket.md. */
export interface TransitionAssumptions {
  /** Share of Standard bytes not read for 30+ days (Intelligent-Tiering moves those to its IA tier). */
  coldFraction: number;
  /** A transition whose one-off request cost takes longer than this to earn back is not proposed. */
  maxPaybackMonths: number;
}

export const DEFAULT_TRANSITION_ASSUMPTIONS: TransitionAssumptions = { coldFraction: 0.5, maxPaybackMonths: 6 };

export const SIZE_UNKNOWN = 'size unknown: no AWS/S3 BucketSizeBytes datapoint in the last 3 days';

const gb = (bytes: number) => bytes / GIB;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Sizes as evidence: GB per storage class, or "size unknown". */
export function sizeEvidence(sizes: BucketSizes | undefined): Record<string, unknown> {
  if (!sizes?.known) return { size: SIZE_UNKNOWN };
  const byClass = Object.fromEntries(Object.entries(sizes.bytes).filter(([, b]) => b > 0).map(([k, b]) => [k, round2(gb(b))]));
  return {
    standardGb: round2(gb(sizes.bytes.StandardStorage ?? 0)),
    sizeByStorageTypeGb: byClass,
    objects: sizes.objects ?? 'unknown (no NumberOfObjects datapoint)',
    sizeAsOf: sizes.asOf,
  };
}

export interface TransitionInput {
  sizes: BucketSizes | undefined;
  storageClass: TransitionClass;
  afterDays: number;
  minObjectSizeBytes: number;
  /** Days after which a whole-bucket rule already expires current objects. */
  expirationDays?: number;
  assumptions: TransitionAssumptions;
  prices: PriceTable;
}

export type TransitionEconomics =
  | { worthIt: true; estimate: SavingsEstimate; oneTimeUsd: number }
  | { worthIt: false; why: string; estimate: SavingsEstimate };

/**
 * Whether moving a bucket's Standard objects to Intelligent-Tiering / Standard-IA pays, and by
 * how much a month. Refuses (worthIt: false) where sizes are unknown, objects are mostly under
 * the size floor, objects expire before the minimum duration, or fees eat the saving.
 */
export function transitionEconomics(input: TransitionInput): TransitionEconomics {
  const { sizes, storageClass, afterDays, minObjectSizeBytes, expirationDays, assumptions, prices } = input;
  const no = (why: string, basis: string[] = []): TransitionEconomics => ({ worthIt: false, why, estimate: { monthlyUsd: 0, basis: [why, ...basis] } });
  if (!sizes?.known) return no(`${SIZE_UNKNOWN}; no transition is proposed without a size`);
  const standardBytes = sizes.bytes.StandardStorage ?? 0;
  if (standardBytes <= 0) return no('no Standard-class bytes to transition');
  if (sizes.objects === undefined || sizes.objects <= 0) return no('object count unknown (no NumberOfObjects datapoint): per-object transition and monitoring fees cannot be priced');
  if (expirationDays !== undefined && expirationDays <= afterDays) {
    return no(`objects already expire after ${expirationDays} days, before a transition after ${afterDays} days would happen`);
  }
  if (storageClass === 'STANDARD_IA' && expirationDays !== undefined && expirationDays - afterDays < 30) {
    return no(`objects expire ${expirationDays - afterDays} days after moving to Standard-IA, which bills a 30-day minimum: the move costs more than it saves`);
  }
  // NumberOfObjects counts objects in every class; attribute Standard's share by object-data bytes
  // (every class read, overhead left out: it is metadata and padding, not objects).
  const standardObjects = sizes.objects * (standardBytes / objectDataBytes(sizes));
  const averageBytes = standardBytes / standardObjects;
  const averageKb = Math.round(averageBytes / 1024);
  if (averageBytes < minObjectSizeBytes) {
    return no(
      `average object size ${averageKb} KB is under the ${Math.round(minObjectSizeBytes / 1024)} KB size filter: most objects would stay in Standard, and ` +
        `${storageClass === 'STANDARD_IA' ? 'Standard-IA bills every object as at least 128 KB' : 'Intelligent-Tiering does not tier objects under 128 KB'}`,
    );
  }
  const standardGb = gb(standardBytes);
  const coldGb = standardGb * assumptions.coldFraction;
  const basis = [
    `Standard storage ${round2(standardGb)} GB in ${Math.round(standardObjects).toLocaleString('en-US')} objects (average ${averageKb} KB), from CloudWatch BucketSizeBytes/NumberOfObjects${sizes.asOf ? ` of ${sizes.asOf.slice(0, 10)}` : ''}.`,
    `Assumed: ${Math.round(assumptions.coldFraction * 100)}% of those bytes are not read for 30+ days and objects live past ${afterDays} days; objects over ${Math.round(minObjectSizeBytes / 1024)} KB carry all the bytes.`,
  ];
  let monthly: number;
  let oneTime: number;
  if (storageClass === 'INTELLIGENT_TIERING') {
    const monitoring = (standardObjects / 1000) * prices.s3IntelligentTieringMonitoringPer1000Objects;
    monthly = coldGb * (prices.s3StandardGbMonth - prices.s3IntelligentTieringInfrequentGbMonth) - monitoring;
    oneTime = (standardObjects / 1000) * prices.s3TransitionToIntelligentTieringPer1000;
    basis.push(
      `Intelligent-Tiering: cold bytes move to its Infrequent tier ($${prices.s3StandardGbMonth} → $${prices.s3IntelligentTieringInfrequentGbMonth}/GB-month); monitoring $${prices.s3IntelligentTieringMonitoringPer1000Objects} per 1,000 objects a month ($${usd(monitoring)}); no retrieval fee, no minimum duration.`,
    );
  } else {
    // Standard-IA: only the cold share is worth moving; reads of it would pay a retrieval fee, assumed rare.
    const coldObjects = (standardObjects * assumptions.coldFraction) / 1000;
    monthly = coldGb * (prices.s3StandardGbMonth - prices.s3StandardIaGbMonth);
    oneTime = coldObjects * prices.s3TransitionToIaPer1000;
    basis.push(
      `Standard-IA: $${prices.s3StandardGbMonth} → $${prices.s3StandardIaGbMonth}/GB-month for the cold bytes; 30-day minimum and 128 KB minimum billable size (covered by the size filter); retrieval fees assumed negligible because the bytes are cold.`,
    );
  }
  basis.push(`One-off lifecycle transition requests: $${usd(oneTime)} (not in the monthly figure).`);
  if (monthly <= 0) return no(`the transition would cost more than it saves: fees outweigh the storage saving by $${(-monthly).toFixed(4)}/month`, basis);
  if (oneTime / monthly > assumptions.maxPaybackMonths) {
    return no(`the one-off transition cost ($${usd(oneTime)}) takes ${round2(oneTime / monthly)} months to earn back, over the ${assumptions.maxPaybackMonths}-month limit`, basis);
  }
  return { worthIt: true, estimate: { monthlyUsd: usd(monthly), basis }, oneTimeUsd: usd(oneTime) };
}

/** An upper bound in words for noncurrent-version savings, which CloudWatch cannot split out. */
export function noncurrentBasis(sizes: BucketSizes | undefined, prices: PriceTable): string[] {
  const basis = ['Noncurrent bytes unknown: BucketSizeBytes counts current and noncurrent versions together (S3 Storage Lens or Inventory splits them), so the estimate is 0.'];
  if (sizes?.known) {
    const standardGb = gb(sizes.bytes.StandardStorage ?? 0);
    basis.push(`Upper bound: the bucket's ${round2(standardGb)} GB of Standard storage costs $${usd(standardGb * prices.s3StandardGbMonth)}/month in all.`);
  } else basis.push(SIZE_UNKNOWN);
  return basis;
}
