import { registerDetector, registerRemediator, resourceTypes } from '../registry.ts';
import { gp2ToGp3, unattached } from './detectors.ts';
import { modifyToGp3, snapshotAndDelete } from './remediators.ts';
import { ebsVolumeResource } from './resource.ts';

resourceTypes.register(ebsVolumeResource);
registerDetector(unattached);
registerDetector(gp2ToGp3);
registerRemediator(snapshotAndDelete);
registerRemediator(modifyToGp3);
import './performance-register.ts';
