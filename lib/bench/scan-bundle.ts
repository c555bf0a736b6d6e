/** Bundles the scan child (scan-child.ts) with esbuild, as the CLI is bundled: one ESM file, everything inlined. */
import { build } from 'esbuild';
import { join } from 'node:path';

export async function bundleScanChild(outDir: string): Promise<string> {
  const outfile = join(outDir, 'scan-child.mjs');
  await build({
    entryPoints: ['lib/bench/scan-child.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // CommonJS dependencies call require(); ESM output gets one from createRequire.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return outfile;
}
