import { registerDetector, registerRemediator, resourceTypes } from '../registry.ts';
import { olderThan, orphaned, tooManyPerVolume } from './detectors.ts';
import { archiveSnapshot, deleteSnapshot } from './remediators.ts';
import { ebsSnapshotResource } from './resource.ts';

resourceTypes.register(ebsSnapshotResource);
registerDetector(olderThan);
registerDetector(orphaned);
registerDetector(tooManyPerVolume);
registerRemediator(deleteSnapshot);
registerRemediator(archiveSnapshot);
