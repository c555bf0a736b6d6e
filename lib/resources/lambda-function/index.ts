import { registerDetector, registerRemediator, resourceTypes } from '../registry.ts';
import { memoryOversized, memoryUndersized, x86ToArm64 } from './detectors.ts';
import { setMemoryAction } from './remediators.ts';
import { lambdaFunctionResource } from './resource.ts';

resourceTypes.register(lambdaFunctionResource);
registerDetector(memoryOversized);
registerDetector(memoryUndersized);
registerDetector(x86ToArm64);
registerRemediator(setMemoryAction);
