import { registerDetector, registerRemediator, resourceTypes } from '../registry.ts';
import { unassociated } from './detectors.ts';
import { releaseAddress } from './remediators.ts';
import { elasticIpResource } from './resource.ts';

resourceTypes.register(elasticIpResource);
registerDetector(unassociated);
registerRemediator(releaseAddress);
