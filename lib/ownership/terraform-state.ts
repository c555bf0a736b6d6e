/**
 * Terraform state files in S3 as an owner signal (policy `owned.terraformState`, docs/ownership.md).
 *
 * A state file is attacker input and holds secrets (every attribute of every resource, often
 * passwords and keys, in plain text): it is read with s3:GetObject only, never executed, never
 * logged or stored whole. Only these fields are read: `version`, and per resource `mode`,
 * `module`, `type`, `name`, `instances[].index_key`, `instances[].attributes.arn` / `.id`. No other
 * attribute is copied anywhere; the owner trimtab records is the Terraform address and the file's
 * s3:// name. Errors name the file and the problem, never the content (JSON.parse's own message can
 * quote the text, so only the position is kept).
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { RegionContext } from '../engine/types.ts';
import { awsErrorName, errorMessage, TrimtabError } from '../util/errors.ts';
import type { Owner } from './owners.ts';

export interface TerraformStateRef {
  bucket: string;
  key: string;
  /** The bucket's region when it is not the run's region. */
  region?: string;
}

/** A state file larger than this is refused (Terraform states of tens of thousands of resources stay below it). */
export const TERRAFORM_STATE_MAX_BYTES = 32 * 1024 * 1024;

/** The Terraform resource type of each trimtab resource type (an `id` is matched only within its type; an ARN anywhere). */
export const TERRAFORM_TYPE_OF: Readonly<Record<string, readonly string[]>> = {
  'asg': ['aws_autoscaling_group'],
  'lambda-function': ['aws_lambda_function'],
  'dynamodb-table': ['aws_dynamodb_table'],
  'ec2-instance': ['aws_instance'],
  'ebs-volume': ['aws_ebs_volume'],
  'rds-instance': ['aws_db_instance'],
  'elasticache-cluster': ['aws_elasticache_cluster'],
  's3-bucket': ['aws_s3_bucket'],
  'log-group': ['aws_cloudwatch_log_group'],
  'nat-gateway': ['aws_nat_gateway'],
  'elastic-ip': ['aws_eip'],
  'load-balancer': ['aws_lb', 'aws_alb'],
};

/** What a state says about one resource: its address and the file. */
export interface TerraformAddress {
  address: string;
  type: string;
}

export interface TerraformStateIndex {
  file: string;
  /** `arn|<arn>` and `<terraform type>|<id>` → address. */
  byKey: Map<string, TerraformAddress>;
}

export const stateFileName = (ref: TerraformStateRef) => `s3://${ref.bucket}/${ref.key}`;

/** Terraform's own identifier rules: what an address may contain (anything else is not from Terraform and is ignored). */
const IDENT = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const MODULE = /^(module\.[A-Za-z_][A-Za-z0-9_-]{0,127}(\[(\d{1,6}|"[A-Za-z0-9_./:-]{0,128}")\])?\.?)+$/;
const INDEX_STRING = /^[A-Za-z0-9_./:-]{0,128}$/;
const MAX_KEY_CHARS = 2048;

/**
 * Pure: the addresses a state (v4 JSON text) gives each ARN and id. Throws TrimtabError naming
 * the file on anything that is not a readable version-4 state; never quotes the content.
 */
export function indexTerraformState(text: string, file: string): TerraformStateIndex {
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec(errorMessage(error))?.[1];
    throw new TrimtabError(`the Terraform state ${file} is not JSON${at ? ` (parse error at position ${at})` : ''}: nothing was read from it`);
  }
  const s = state as { version?: unknown; resources?: unknown };
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw new TrimtabError(`the Terraform state ${file} is not a JSON object: nothing was read from it`);
  if (s.version !== 4) throw new TrimtabError(`the Terraform state ${file} is version ${typeof s.version === 'number' ? s.version : 'unknown'}, not 4 (trimtab reads Terraform 0.12+ states, format version 4)`);
  if (s.resources !== undefined && !Array.isArray(s.resources)) throw new TrimtabError(`the Terraform state ${file} has a "resources" that is not a list`);
  const byKey = new Map<string, TerraformAddress>();
  for (const r of (s.resources ?? []) as unknown[]) {
    if (!r || typeof r !== 'object') continue;
    const { mode, module, type, name, instances } = r as Record<string, unknown>;
    if (mode !== 'managed' || typeof type !== 'string' || typeof name !== 'string' || !IDENT.test(type) || !IDENT.test(name)) continue;
    if (module !== undefined && (typeof module !== 'string' || !MODULE.test(module))) continue;
    if (!Array.isArray(instances)) continue;
    for (const i of instances as unknown[]) {
      if (!i || typeof i !== 'object') continue;
      // attributes_flat: the pre-0.12 flatmap encoding a v4 state still carries for an instance not
      // rewritten since (Terraform's instanceObjectStateV4); its arn and id are plain strings too.
      const { index_key: index, attributes: raw, attributes_flat: flat } = i as { index_key?: unknown; attributes?: unknown; attributes_flat?: unknown };
      const attributes = raw && typeof raw === 'object' ? raw : flat;
      let suffix = '';
      if (typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < 1_000_000) suffix = `[${index}]`;
      else if (typeof index === 'string' && INDEX_STRING.test(index)) suffix = `["${index}"]`;
      else if (index !== undefined) continue;
      const address = `${module ? `${module}.` : ''}${type}.${name}${suffix}`;
      // Only arn and id, and only as strings of a sane length: no other attribute is touched.
      const attrs = attributes && typeof attributes === 'object' ? attributes as Record<string, unknown> : {};
      const arn = typeof attrs.arn === 'string' && attrs.arn.length <= MAX_KEY_CHARS ? attrs.arn : undefined;
      const id = typeof attrs.id === 'string' && attrs.id.length <= MAX_KEY_CHARS ? attrs.id : undefined;
      if (arn) byKey.set(`arn|${arn}`, { address, type });
      if (id) byKey.set(`${type}|${id}`, { address, type });
    }
  }
  return { file, byKey };
}

/** Reads a body stream up to `max` bytes; more is refused whatever ContentLength said. */
async function readLimited(body: unknown, max: number, file: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const stream = body as AsyncIterable<Uint8Array> | { transformToByteArray?: () => Promise<Uint8Array> } | undefined;
  if (stream && Symbol.asyncIterator in (stream as object)) {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > max) {
        (stream as { destroy?: () => void }).destroy?.();
        throw new TrimtabError(`the Terraform state ${file} is over ${max} bytes: refused, nothing was read from it`);
      }
      chunks.push(chunk);
    }
  } else if (stream && typeof (stream as { transformToByteArray?: unknown }).transformToByteArray === 'function') {
    const bytes = await (stream as { transformToByteArray: () => Promise<Uint8Array> }).transformToByteArray();
    if (bytes.byteLength > max) throw new TrimtabError(`the Terraform state ${file} is over ${max} bytes: refused, nothing was read from it`);
    chunks.push(bytes);
  } else {
    throw new TrimtabError(`the Terraform state ${file} has no body`);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** GetObject (read-only) and index one state file. Throws TrimtabError naming the file. */
export async function readTerraformState(ctx: Pick<RegionContext, 'clients' | 'region'>, ref: TerraformStateRef, max = TERRAFORM_STATE_MAX_BYTES): Promise<TerraformStateIndex> {
  const file = stateFileName(ref);
  let out;
  try {
    out = await ctx.clients.get(S3Client, ref.region ?? ctx.region).send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  } catch (error) {
    // Without s3:ListBucket (trimtab is granted only s3:GetObject on the named objects) S3 answers a key
    // that does not exist with AccessDenied, not NoSuchKey; an SSE-KMS object also needs kms:Decrypt
    // on its key (GetObjectCommand.d.ts, "Permissions").
    const hint = awsErrorName(error) === 'AccessDenied' ? '; check the bucket and key (S3 answers AccessDenied for a missing key to a caller without s3:ListBucket) and, for an SSE-KMS state, kms:Decrypt on its key' : '';
    throw new TrimtabError(`the Terraform state ${file} could not be read (s3:GetObject: ${awsErrorName(error)}: ${errorMessage(error)})${hint}`);
  }
  if (out.ContentLength !== undefined && out.ContentLength > max) {
    (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
    throw new TrimtabError(`the Terraform state ${file} is ${out.ContentLength} bytes, over ${max}: refused, nothing was read from it`);
  }
  return indexTerraformState(await readLimited(out.Body, max, file), file);
}

/** The owner a state gives a resource, or undefined when no state lists it. */
export function terraformOwnerOf(indexes: TerraformStateIndex[], resource: { type: string; id: string; arn: string }): Owner | undefined {
  for (const index of indexes) {
    const hit = index.byKey.get(`arn|${resource.arn}`) ?? (TERRAFORM_TYPE_OF[resource.type] ?? []).map((t) => index.byKey.get(`${t}|${resource.id}`)).find(Boolean);
    if (hit) return { kind: 'terraform', name: `Terraform resource ${hit.address} (state ${index.file})`, signal: `Terraform state ${index.file}`, confirmed: true, address: hit.address, stateFile: index.file, terraformType: hit.type };
  }
  return undefined;
}
