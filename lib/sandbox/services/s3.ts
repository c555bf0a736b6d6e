/**
 * Sandbox S3: buckets with tags, versioning, lifecycle configuration (replaced whole on every
 * put, as S3 does), in-progress multipart uploads, and objects for GetObject (seeded with
 * putSandboxObject; an unknown key is NoSuchKey, 404, as S3 answers a caller allowed
 * s3:ListBucket; without it S3 answers AccessDenied, 403, which the sandbox does not model).
 */
import { awsError, paginate, tagList, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';

export interface SandboxBucket {
  name: string;
  region: string;
  createdAt: string;
  tags?: Record<string, string>;
  versioning?: 'Enabled' | 'Suspended';
  lifecycle?: SandboxLifecycle;
  /**
   * After a put or delete, reads keep returning what was visible before (null: none) until
   * `visibleAt`: S3's lifecycle propagation delay. Stored as data, so it survives save/load.
   */
  lifecyclePropagation?: { previous: SandboxLifecycle | null; visibleAt: string };
  multipartUploads: { key: string; uploadId: string; initiated: string }[];
  /** Objects trimtab reads (a Terraform state file a policy names: lib/ownership/terraform-state.ts), by key. */
  storedObjects?: Record<string, { body: string; lastModified: string }>;
}

export interface SandboxLifecycle {
  Rules: any[];
  TransitionDefaultMinimumObjectSize?: string;
}

/**
 * S3 User Guide, "Setting an S3 Lifecycle configuration on a bucket": "Expect a delay of a few
 * minutes before the configuration fully takes effect. This delay can also occur when you delete
 * an S3 Lifecycle configuration." The sandbox takes two minutes (scaled by timing.scale), or the
 * consistency window if that is longer.
 */
export const LIFECYCLE_PROPAGATION_MS = 2 * 60_000;

const propagationMs = (sandbox: Sandbox) => Math.max(sandbox.timing.consistencyMs, sandbox.duration(LIFECYCLE_PROPAGATION_MS));

/** The configuration a read sees now: the previous one while a change propagates. */
function visibleLifecycle(bucket: SandboxBucket, now: Date): SandboxLifecycle | null {
  const pending = bucket.lifecyclePropagation;
  if (pending && now.getTime() < Date.parse(pending.visibleAt)) return pending.previous;
  if (pending) delete bucket.lifecyclePropagation;
  return bucket.lifecycle ?? null;
}

/** Start a propagation window for a change made now (nothing when the sandbox is instant). */
function propagate(sandbox: Sandbox, bucket: SandboxBucket, now: Date) {
  const shown = visibleLifecycle(bucket, now);
  const ms = propagationMs(sandbox);
  if (ms > 0) bucket.lifecyclePropagation = { previous: shown ? structuredClone(shown) : null, visibleAt: new Date(now.getTime() + ms).toISOString() };
}

export interface S3State {
  buckets: Record<string, SandboxBucket>;
}

export const s3State = (sandbox: Sandbox, account: AccountState) => sandbox.global<S3State>(account, 's3', () => ({ buckets: {} }));

function bucketOf(sandbox: Sandbox, account: AccountState, name: string | undefined): SandboxBucket {
  const bucket = name ? s3State(sandbox, account).buckets[name] : undefined;
  if (!bucket) throw awsError('NoSuchBucket', 'The specified bucket does not exist', 404);
  return bucket;
}

const MALFORMED = 'The XML you provided was not well-formed or did not validate against our published schema';

/** The checks S3 makes on PutBucketLifecycleConfiguration (those trimtab can trip). */
export function validateLifecycleRules(rules: any[]): void {
  if (!Array.isArray(rules) || rules.length === 0) throw awsError('MalformedXML', MALFORMED);
  if (rules.length > 1000) throw awsError('InvalidRequest', 'A lifecycle configuration can have at most 1000 rules.');
  const ids = new Set<string>();
  for (const rule of rules) {
    if (rule.ID !== undefined) {
      if (ids.has(rule.ID)) throw awsError('InvalidArgument', 'RuleId must be unique. Found same ID for more than one rule');
      if (String(rule.ID).length > 255) throw awsError('InvalidArgument', 'ID length should not exceed allowed limit of 255');
      ids.add(rule.ID);
    }
    if (rule.Status !== 'Enabled' && rule.Status !== 'Disabled') throw awsError('MalformedXML', MALFORMED);
    if (rule.Filter === undefined && rule.Prefix === undefined) throw awsError('MalformedXML', MALFORMED);
    const hasAction =
      rule.Expiration || rule.Transitions?.length || rule.NoncurrentVersionExpiration || rule.NoncurrentVersionTransitions?.length || rule.AbortIncompleteMultipartUpload;
    if (!hasAction) throw awsError('InvalidRequest', 'At least one action needs to be specified in a rule');
    const classes = new Set<string>();
    for (const t of rule.Transitions ?? []) {
      if ((t.StorageClass === 'STANDARD_IA' || t.StorageClass === 'ONEZONE_IA') && t.Days !== undefined && t.Days < 30) {
        throw awsError('InvalidArgument', `'Days' in Transition action must be greater than or equal to 30 for storageClass '${t.StorageClass}'`);
      }
      if (classes.has(t.StorageClass)) throw awsError('InvalidArgument', "'StorageClass' must be different for 'Transition' actions in same 'Rule'");
      classes.add(t.StorageClass);
    }
    for (const t of rule.NoncurrentVersionTransitions ?? []) {
      if ((t.StorageClass === 'STANDARD_IA' || t.StorageClass === 'ONEZONE_IA') && t.NoncurrentDays < 30) {
        throw awsError('InvalidArgument', `'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass '${t.StorageClass}'`);
      }
    }
    const filter = rule.Filter ?? {};
    if (filter.ObjectSizeGreaterThan !== undefined && !(filter.ObjectSizeGreaterThan >= 0)) throw awsError('MalformedXML', MALFORMED);
    if (filter.And && (filter.Prefix !== undefined || filter.ObjectSizeGreaterThan !== undefined || filter.Tag)) throw awsError('MalformedXML', MALFORMED);
    if (rule.AbortIncompleteMultipartUpload && rule.AbortIncompleteMultipartUpload.DaysAfterInitiation < 1) {
      throw awsError('InvalidArgument', "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer");
    }
    if (rule.NoncurrentVersionExpiration && !(rule.NoncurrentVersionExpiration.NoncurrentDays >= 1)) {
      throw awsError('MalformedXML', MALFORMED);
    }
  }
}

/** Seeds an object (text) into an existing sandbox bucket. */
export function putSandboxObject(sandbox: Sandbox, accountId: string, bucket: string, key: string, body: string) {
  const b = bucketOf(sandbox, sandbox.account(accountId), bucket);
  (b.storedObjects ??= {})[key] = { body, lastModified: sandbox.now().toISOString() };
}

export const s3Service: SandboxService = {
  id: 's3',
  operations: {
    GetObject(input, { sandbox, account }) {
      const object = bucketOf(sandbox, account, input.Bucket).storedObjects?.[input.Key];
      if (!object) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
      return { Body: object.body, ContentLength: Buffer.byteLength(object.body), ContentType: 'application/json', LastModified: new Date(object.lastModified) };
    },

    ListBuckets(input, { sandbox, account }) {
      const all = Object.values(s3State(sandbox, account).buckets)
        .filter((b) => !input.BucketRegion || b.region === input.BucketRegion)
        .filter((b) => !input.Prefix || b.name.startsWith(input.Prefix))
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, nextToken } = paginate(
        all,
        { token: input.ContinuationToken, max: input.MaxBuckets },
        { defaultMax: 10_000, maxMax: 10_000, operation: 'ListBuckets', invalidTokenCode: 'InvalidArgument' },
      );
      return {
        Buckets: page.map((b) => ({ Name: b.name, CreationDate: new Date(b.createdAt), BucketRegion: b.region })),
        Owner: { DisplayName: 'sandbox', ID: account.id },
        ContinuationToken: nextToken,
        Prefix: input.Prefix,
      };
    },

    GetBucketLocation(input, { sandbox, account }) {
      const bucket = bucketOf(sandbox, account, input.Bucket);
      // us-east-1 is reported as an empty constraint, as S3 does.
      return { LocationConstraint: bucket.region === 'us-east-1' ? undefined : bucket.region };
    },

    GetBucketTagging(input, { sandbox, account }) {
      const bucket = bucketOf(sandbox, account, input.Bucket);
      if (!bucket.tags || Object.keys(bucket.tags).length === 0) throw awsError('NoSuchTagSet', 'The TagSet does not exist', 404);
      return { TagSet: tagList(bucket.tags) };
    },

    GetBucketVersioning(input, { sandbox, account }) {
      const bucket = bucketOf(sandbox, account, input.Bucket);
      return bucket.versioning ? { Status: bucket.versioning } : {};
    },

    GetBucketLifecycleConfiguration(input, { sandbox, account, now }) {
      const bucket = bucketOf(sandbox, account, input.Bucket);
      const lifecycle = visibleLifecycle(bucket, now);
      if (!lifecycle) throw awsError('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', 404);
      return {
        Rules: lifecycle.Rules,
        TransitionDefaultMinimumObjectSize: lifecycle.TransitionDefaultMinimumObjectSize ?? 'all_storage_classes_128K',
      };
    },

    PutBucketLifecycleConfiguration(input, { sandbox, account, now }) {
      const bucket = bucketOf(sandbox, account, input.Bucket);
      const rules = input.LifecycleConfiguration?.Rules;
      validateLifecycleRules(rules);
      propagate(sandbox, bucket, now);
      // Whole-configuration replace: whatever was there before is gone.
      bucket.lifecycle = {
        Rules: structuredClone(rules),
        TransitionDefaultMinimumObjectSize: input.TransitionDefaultMinimumObjectSize ?? 'all_storage_classes_128K',
      };
      return { TransitionDefaultMinimumObjectSize: bucket.lifecycle.TransitionDefaultMinimumObjectSize };
    },

    DeleteBucketLifecycle(input, { sandbox, account, now }) {
      const bucket = bucketOf(sandbox, account, input.Bucket);
      propagate(sandbox, bucket, now);
      delete bucket.lifecycle;
      return {};
    },

    ListMultipartUploads(input, { sandbox, account }) {
      const bucket = bucketOf(sandbox, account, input.Bucket);
      const uploads = [...bucket.multipartUploads].sort((a, b) => a.key.localeCompare(b.key));
      const max = Math.min(input.MaxUploads ?? 1000, 1000);
      const page = uploads.slice(0, max);
      return {
        Bucket: bucket.name,
        Uploads: page.map((u) => ({ Key: u.key, UploadId: u.uploadId, Initiated: new Date(u.initiated), StorageClass: 'STANDARD' })),
        IsTruncated: uploads.length > max,
        MaxUploads: max,
      };
    },
  },
};
