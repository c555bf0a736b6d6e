/** The finding's `before` that change-instance-type acts on (its own file: both the detector and the action read it). */
/** What change-instance-type needs from the finding. */
export interface ResizeBefore {
  instanceId: string;
  instanceType: string;
  targetType: string;
  architecture: string;
  state: string;
  /** LaunchTime when the finding was made (the last launch): apply refuses an instance restarted since. */
  launchTime?: string;
  placementGroup?: string;
  /** Whether the stop releases a public IPv4 address (`ephemeral`), or it has an Elastic IP. */
  publicIpv4?: 'ephemeral' | 'elastic';
}
