import { registerDetector, resourceTypes } from '../registry.ts';
import { idleLoadBalancer } from './detectors.ts';
import { loadBalancerResource } from './resource.ts';

resourceTypes.register(loadBalancerResource);
registerDetector(idleLoadBalancer);
