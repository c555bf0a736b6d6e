/** Registers the under-provisioned capacity detector and its action (capacity.ts). */
import { registerDetector, registerRemediator } from '../registry.ts';
import { raiseMaxSize, underProvisionedAtMax } from './capacity.ts';

registerDetector(underProvisionedAtMax);
registerRemediator(raiseMaxSize);
