import { registerDetector, registerRemediator, resourceTypes } from '../registry.ts';
import { autoStartedDbInstance, auroraServerlessMinCapacity, gp2Storage, idleDbInstance, oversizedDbInstance, previousGenerationClass, saturatedDbInstance } from './detectors.ts';
import { downsizeDbInstance, lowerMinCapacity, modifyStorageGp3, restopDbInstance, snapshotAndDelete, stopDbInstance } from './remediators.ts';
import { rdsInstanceResource } from './resource.ts';

resourceTypes.register(rdsInstanceResource);
for (const d of [idleDbInstance, autoStartedDbInstance, gp2Storage, oversizedDbInstance, previousGenerationClass, auroraServerlessMinCapacity, saturatedDbInstance]) registerDetector(d);
for (const r of [stopDbInstance, restopDbInstance, snapshotAndDelete, modifyStorageGp3, downsizeDbInstance, lowerMinCapacity]) registerRemediator(r);
