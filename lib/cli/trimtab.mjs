#!/usr/bin/env node
// The `trimtab` command: runs the esbuild bundle in dist/cli/ (lib/cli/build.mjs; `npm install`
// builds it as `prepare`, and the packed tarball ships it), not the TypeScript sources.

// Lambda runs nodejs22.x; the CLI supports Node 20, so the SDK's Node-22 notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Node ≥ 22.1 keeps V8's compiled code for the bundle between runs; Node 20 has no such API. Compiled
// code runs as is, so the cache lives in this user's private folder (<tmp>/trimtab-compile-cache-<uid>,
// 0700, checked with lstat: lib/cli/private-dir.mjs), never in Node's default <tmp>/node-compile-cache
// that every user of the machine shares; when that folder is not private, no cache.
const { enableCompileCache } = await import('node:module');
if (enableCompileCache) {
  const { compileCacheDir } = await import('./private-dir.mjs');
  const dir = compileCacheDir();
  if (dir) enableCompileCache(dir);
}
const bundle = new URL('../../dist/cli/main.mjs', import.meta.url);
let main;
try {
  ({ main } = await import(bundle.href));
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && /dist[\\/]cli[\\/]main\.mjs/.test(String(error.message))) {
    console.error('trimtab: the command is not built yet: run `npm run build` in the trimtab folder (npm install runs it as `prepare`).');
    process.exit(2);
  }
  throw error;
}
await main(process.argv);
