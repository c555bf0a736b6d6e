/** An EBS volume as the module lists it: its own file, so io-usage.ts and resource.ts can share it without importing each other. */
export interface EbsVolume {
  id: string;
  sizeGb: number;
  volumeType: string;
  iops?: number;
  throughput?: number;
  state: string;
  availabilityZone: string;
  /** Milliseconds since the epoch. */
  createTime: number;
  snapshotId?: string;
  attachedTo: string[];
  multiAttach: boolean;
  encrypted: boolean;
  kmsKeyId?: string;
  tags: Record<string, string>;
  /**
   * Set by enrich for unattached volumes when a detector asked for `io-history:<days>`: the
   * last day (ms) with an EBS metric in the window, or null when there was none.
   */
  lastMetricAt?: number | null;
  /** The window the history covers, days. */
  historyDays?: number;
}
