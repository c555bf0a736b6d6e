import { registerDetector, registerRemediator, resourceTypes } from '../registry.ts';
import { largeStandardWithoutTransition, missingAbortMultipartRule, missingLifecycle, missingNoncurrentVersionRule } from './detectors.ts';
import { addLifecycleRules } from './remediators.ts';
import { s3BucketResource } from './resource.ts';

resourceTypes.register(s3BucketResource);
registerDetector(missingLifecycle);
registerDetector(missingAbortMultipartRule);
registerDetector(missingNoncurrentVersionRule);
registerDetector(largeStandardWithoutTransition);
registerRemediator(addLifecycleRules);
