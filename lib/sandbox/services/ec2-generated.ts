/**
 * A procedurally generated snapshot inventory (bench cases: 100k to 1M snapshots). Snapshot `i`
 * is derived from its index and a seed on demand, so the sandbox never holds the inventory: a
 * DescribeSnapshots page builds only the snapshots it returns, and the scan's RSS is the scan's.
 *
 * The spec lives in the EC2 state (plain JSON, saved between CLI runs like the rest). A snapshot
 * that an operation changes is materialised into `state.snapshots` under its own id and from
 * then on overrides its generated form; a deleted one is recorded in `deleted` and never comes
 * back. Listings walk the generated indices first, then the explicit snapshots; the NextToken
 * carries the position (opaque to the caller, as in EC2).
 */
import type { SandboxSnapshot } from './ec2-snapshot.ts';

export interface GeneratedSnapshots {
  count: number;
  /** Existing volumes `vol-e…` (also in state.volumes) and as many deleted ones `vol-d…`. */
  volumes: number;
  seed: number;
  /** The instant ages count back from, ms since the epoch. */
  nowMs: number;
  region: string;
  accountId: string;
  /** Every n-th snapshot (index % n === 0) carries this tag (AWS Backup's source-resource tag). */
  backupEvery: number;
  backupTag: string;
  /** Ids deleted from the generated range. */
  deleted: Record<string, true>;
}

const GIB = 1024 ** 3;
/** Above every id Sandbox.mintId gives out (17 hex digits from the sequence): no collision. */
const SNAP_PREFIX = 'snap-f';
export const generatedSnapshotId = (index: number) => `${SNAP_PREFIX}${index.toString(16).padStart(16, '0')}`;
export const generatedVolumeId = (kind: 'existing' | 'deleted', n: number) => `vol-${kind === 'existing' ? 'e' : 'd'}${n.toString(16).padStart(16, '0')}`;

/** The index of a generated id, or undefined if `id` is not one of `gen`'s. */
export function generatedIndex(gen: GeneratedSnapshots, id: string): number | undefined {
  if (!id.startsWith(SNAP_PREFIX) || id.length !== SNAP_PREFIX.length + 16) return undefined;
  const index = Number.parseInt(id.slice(SNAP_PREFIX.length), 16);
  return Number.isInteger(index) && index >= 0 && index < gen.count && generatedSnapshotId(index) === id ? index : undefined;
}

/** A 32-bit hash of (seed, index, salt) → [0, 1): each snapshot's values without a sequential generator. */
function unit(seed: number, index: number, salt: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 4_294_967_296;
}

/** Snapshot `index` as the generator defines it (a fresh object each time). */
export function generateSnapshot(gen: GeneratedSnapshots, index: number): SandboxSnapshot {
  const volumeId = index % 2 === 0 ? generatedVolumeId('existing', index % gen.volumes) : generatedVolumeId('deleted', index % gen.volumes);
  const backup = index % gen.backupEvery === 0;
  return {
    id: generatedSnapshotId(index),
    volumeId,
    startTime: new Date(gen.nowMs - Math.floor(1 + unit(gen.seed, index, 1) * 720) * 86_400_000).toISOString(),
    volumeSizeGb: 100,
    fullSizeBytes: Math.round((10 + unit(gen.seed, index, 2) * 90) * GIB),
    state: 'completed',
    storageTier: 'standard',
    tags: backup ? { [gen.backupTag]: `arn:aws:ec2:${gen.region}:${gen.accountId}:volume/${volumeId}` } : {},
  };
}

/** The snapshot with this id as it stands now: materialised (changed) copy, generated form, or undefined (deleted or unknown). */
export function lookupGenerated(gen: GeneratedSnapshots | undefined, explicit: Record<string, SandboxSnapshot>, id: string): SandboxSnapshot | undefined {
  if (explicit[id]) return explicit[id];
  if (!gen || gen.deleted[id]) return undefined;
  const index = generatedIndex(gen, id);
  return index === undefined ? undefined : generateSnapshot(gen, index);
}

/**
 * One page of a listing over generated + explicit snapshots, from `position`: walks forward until
 * `max` items `keep` accepts or the end. Returns the items and the next position (undefined at the end).
 * `skipGenerated`: the caller knows no generated snapshot can match (e.g. shared ones: none are).
 */
export function listGenerated(
  gen: GeneratedSnapshots,
  explicit: Record<string, SandboxSnapshot>,
  position: number,
  max: number,
  keep: (s: SandboxSnapshot) => boolean,
  skipGenerated = false,
  /** A deleted snapshot reads still see (eventual consistency), if any. */
  lingering: (id: string) => SandboxSnapshot | undefined = () => undefined,
): { items: SandboxSnapshot[]; next?: number } {
  const items: SandboxSnapshot[] = [];
  let pos = skipGenerated ? Math.max(position, gen.count) : position;
  for (; pos < gen.count && items.length < max; pos++) {
    const id = generatedSnapshotId(pos);
    const s = gen.deleted[id] ? (explicit[id] ?? lingering(id)) : (explicit[id] ?? generateSnapshot(gen, pos));
    if (!s) continue;
    if (keep(s)) items.push(s);
  }
  if (items.length >= max && pos < gen.count) return { items, next: pos };
  // The explicit snapshots (few: a scenario's or those created during the run), after the generated range.
  const rest = Object.values(explicit).filter((s) => generatedIndex(gen, s.id) === undefined);
  for (; pos - gen.count < rest.length && items.length < max; pos++) if (keep(rest[pos - gen.count])) items.push(rest[pos - gen.count]);
  return { items, next: pos - gen.count < rest.length ? pos : undefined };
}

export const encodePosition = (pos: number) => Buffer.from(`gen:${pos}`).toString('base64url');
export function decodePosition(token: string): number | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith('gen:')) return undefined;
  const pos = Number(text.slice(4));
  return Number.isInteger(pos) && pos >= 0 ? pos : undefined;
}
