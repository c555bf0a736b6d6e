import { registerDetector, registerRemediator, resourceTypes } from '../registry.ts';
import { flapping, minSizeUnneeded, overProvisionedTargetTracking, stepScalingPolicies } from './detectors.ts';
import { lengthenWarmup, lowerMinSize, raiseTarget } from './remediators.ts';
import { asgResource } from './resource.ts';
import { raiseMaxSize, underProvisionedAtMax } from './capacity.ts';
import { oversizedGroupInstances, rightsizeLaunchTemplate } from './rightsize.ts';

resourceTypes.register(asgResource);
registerDetector(overProvisionedTargetTracking);
registerDetector(minSizeUnneeded);
registerDetector(flapping);
registerDetector(stepScalingPolicies);
registerRemediator(raiseTarget);
registerRemediator(lengthenWarmup);
registerRemediator(lowerMinSize);
registerDetector(underProvisionedAtMax); // capacity.ts: under-provisioned capacity (performance)
registerRemediator(raiseMaxSize);
registerDetector(oversizedGroupInstances);
registerRemediator(rightsizeLaunchTemplate);

export { groupTargets } from './targets.ts';
