import { registerDetector, registerRemediator, resourceTypes } from '../registry.ts';
import { DYNAMODB_DETECTORS } from './detectors.ts';
import { DYNAMODB_REMEDIATORS } from './remediators.ts';
import { dynamodbTableResource } from './resource.ts';

resourceTypes.register(dynamodbTableResource);
for (const detector of DYNAMODB_DETECTORS) registerDetector(detector);
for (const remediator of DYNAMODB_REMEDIATORS) registerRemediator(remediator);
