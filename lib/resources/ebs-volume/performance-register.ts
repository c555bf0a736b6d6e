/** Registers the provisioned-performance detectors and actions (performance.ts). */
import { registerDetector, registerRemediator } from '../registry.ts';
import { iopsOverProvisioned, lowerVolumeIops, raiseVolumePerformance, volumeAtCeiling } from './performance.ts';

registerDetector(volumeAtCeiling);
registerDetector(iopsOverProvisioned);
registerRemediator(raiseVolumePerformance);
registerRemediator(lowerVolumeIops);
