import { registerDetector, registerRemediator, resourceTypes } from '../registry.ts';
import { missingAbortMultipartRule, missingLifecycle } from './detectors.ts';
import { addLifecycleRules } from './remediators.ts';
import { s3BucketResource } from './resource.ts';

resourceTypes.register(s3BucketResource);
registerDetector(missingLifecycle);
registerDetector(missingAbortMultipartRule);
registerRemediator(addLifecycleRules);
