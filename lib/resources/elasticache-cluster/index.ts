import { registerDetector, resourceTypes } from '../registry.ts';
import { idleCluster, previousGenerationNode } from './detectors.ts';
import { elasticacheClusterResource } from './resource.ts';

resourceTypes.register(elasticacheClusterResource);
registerDetector(idleCluster);
registerDetector(previousGenerationNode);
