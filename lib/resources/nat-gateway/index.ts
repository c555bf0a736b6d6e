import { registerDetector, resourceTypes } from '../registry.ts';
import { idleNatGateway } from './detectors.ts';
import { natGatewayResource } from './resource.ts';

resourceTypes.register(natGatewayResource);
registerDetector(idleNatGateway);
