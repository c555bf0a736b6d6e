import { registerDetector, registerRemediator, resourceTypes } from '../registry.ts';
import { idleInstance, previousGenerationType, previousGenerationVolumes } from './detectors.ts';
import { stopInstance } from './remediators.ts';
import { oversizedInstance, undersizedInstance } from './rightsizing.ts';
import { changeInstanceType } from './change-type.ts';
import { ec2InstanceResource } from './resource.ts';

resourceTypes.register(ec2InstanceResource);
registerDetector(idleInstance);
registerDetector(previousGenerationType);
registerDetector(previousGenerationVolumes);
registerRemediator(stopInstance);
registerDetector(oversizedInstance);
registerDetector(undersizedInstance);
registerRemediator(changeInstanceType);
