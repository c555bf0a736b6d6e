import { registerDetector, registerRemediator, resourceTypes } from '../registry.ts';
import { gp2ToGp3, unattached } from './detectors.ts';
import { modifyToGp3, snapshotAndDelete } from './remediators.ts';
import { ebsVolumeResource } from './resource.ts';
import { iopsOverProvisioned, lowerVolumeIops, raiseVolumePerformance, volumeAtCeiling } from './performance.ts';

resourceTypes.register(ebsVolumeResource);
registerDetector(unattached);
registerDetector(gp2ToGp3);
registerRemediator(snapshotAndDelete);
registerRemediator(modifyToGp3);
registerDetector(volumeAtCeiling); // performance.ts: provisioned IOPS/throughput, both ways
registerDetector(iopsOverProvisioned);
registerRemediator(raiseVolumePerformance);
registerRemediator(lowerVolumeIops);
