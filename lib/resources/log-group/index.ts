import { registerDetector, registerRemediator, resourceTypes } from '../registry.ts';
import { noRetention } from './detectors.ts';
import { setRetention } from './remediators.ts';
import { logGroupResource } from './resource.ts';

resourceTypes.register(logGroupResource);
registerDetector(noRetention);
registerRemediator(setRetention);
