/** A snapshot in the sandbox's EC2 state: its own file, so ec2.ts and ec2-generated.ts share it without importing each other. */
export interface SandboxSnapshot {
  id: string;
  volumeId: string;
  /** ISO time. */
  startTime: string;
  volumeSizeGb: number;
  /** Bytes written to the volume when the snapshot was taken (FullSnapshotSizeInBytes). */
  fullSizeBytes?: number;
  state: 'pending' | 'completed' | 'error' | 'recovering';
  storageTier: 'standard' | 'archive';
  description?: string;
  encrypted?: boolean;
  tags?: Record<string, string>;
  /** createVolumePermission: { group: 'all' } (public) or { userId } (shared with an account). */
  createVolumePermissions?: Array<{ group?: 'all'; userId?: string }>;
  tieringStartTime?: string;
  lastTieringOperation?: string;
  /** ISO time the running tiering operation (archival, restore) completes: derived lazily (settleSnapshot). */
  tieringCompletesAt?: string;
  /** Temporary restore from the archive: when the restored copy expires. */
  restoreExpiryTime?: string;
  /** Eventual consistency: reads and tag writes do not see the snapshot before this ISO time (restored from the Recycle Bin). */
  visibleAt?: string;
  /** Restored from the Recycle Bin: 'recovering' until this ISO time. */
  recoveringUntil?: string;
  /** A snapshot being taken (CreateSnapshot): DescribeSnapshots calls naming it before it completes. */
  pollsUntilCompleted?: number;
}
