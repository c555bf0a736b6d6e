// An esbuild plugin for serverless-esbuild (serverless.yml custom.esbuild.plugins): keeps each
// function bundle's esbuild metafile in .serverless/metafiles/<entry>.json, outside the build folder
// that is zipped, so test/package/bundles.test.ts reads what `osls package` built instead of
// building every function again. It changes nothing in the bundle.
const { mkdirSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

/** Where the metafile of the bundle built from `entry` (functions/scan.ts) is kept. */
const metafilePath = (entry, root = process.cwd()) => join(root, '.serverless', 'metafiles', `${entry.replace(/\.[^./]+$/, '')}.json`);

const metafilePlugin = {
  name: 'trimtab-metafile',
  setup(build) {
    build.initialOptions.metafile = true;
    const entries = [build.initialOptions.entryPoints].flat();
    build.onEnd((result) => {
      if (!result.metafile || entries.length !== 1 || typeof entries[0] !== 'string') return;
      const file = metafilePath(entries[0]);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(result.metafile));
    });
  },
};

module.exports = () => [metafilePlugin];
module.exports.metafilePath = metafilePath;
