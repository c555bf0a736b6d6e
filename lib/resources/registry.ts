/**
 * The registries: resource types, detectors and remediators, keyed by string id. The policy
 * schema is composed from them, so the schema and the code cannot drift apart.
 */
import { Registry } from '../util/registry.ts';
import type { Detector, Remediator, ResourceType } from '../engine/types.ts';

export const resourceTypes = new Registry<ResourceType>('resource type');

/** Detectors and remediators belong to one resource type; ids are unique within it. */
const detectorsByResource = new Map<string, Registry<Detector>>();
const remediatorsByResource = new Map<string, Registry<Remediator>>();

function registryFor<T extends { id: string }>(map: Map<string, Registry<T>>, kind: string, resource: string): Registry<T> {
  resourceTypes.get(resource); // throws, listing the valid resource types
  let registry = map.get(resource);
  if (!registry) map.set(resource, (registry = new Registry<T>(`${kind} for ${resource}`)));
  return registry;
}

export function registerDetector<D extends Detector>(detector: D): D {
  registryFor(detectorsByResource, 'detector', detector.resource).register(detector);
  return detector;
}

export function registerRemediator<R extends Remediator>(remediator: R): R {
  registryFor(remediatorsByResource, 'action', remediator.resource).register(remediator);
  return remediator;
}

export const detectors = (resource: string) => registryFor(detectorsByResource, 'detector', resource);
export const remediators = (resource: string) => registryFor(remediatorsByResource, 'action', resource);
