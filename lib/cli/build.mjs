#!/usr/bin/env node
/**
 * Builds the `trimtab` command into dist/cli/ with esbuild (`npm run build`; `npm install` runs
 * it as `prepare`, and so does `npm pack`, so the tarball ships the bundle and needs no build).
 *
 *   dist/cli/main.mjs + chunks   ESM, code-split: a command's extra code (demo, approvals, org,
 *                                the HTML report, …) is a chunk loaded by its dynamic import().
 *   dist/cli/sdk.cjs             every AWS SDK package the CLI uses, CommonJS. esbuild wraps each
 *                                required module in a function that runs on first require, so
 *                                only the clients a command touches are evaluated, and the
 *                                file is read only once a command touches any.
 *   dist/meta.json               the esbuild metafile of the ESM build (not packed).
 *
 * In the ESM build every `@aws-sdk/<package>` import resolves to a generated module of lazy
 * proxies (lib/cli/lazy-sdk.ts): the resource modules import their clients at the top, and the
 * policy schema is composed from them, so without this `trimtab validate` would evaluate every
 * SDK client.
 *
 *   node lib/cli/build.mjs              build
 *   node lib/cli/build.mjs --if-stale   build only when a source file is newer than the bundle
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT_DIR = join(ROOT, 'dist', 'cli');
export const ENTRY = join(OUT_DIR, 'main.mjs');
export const SDK_BUNDLE = join(OUT_DIR, 'sdk.cjs');
export const METAFILE = join(ROOT, 'dist', 'meta.json');

/** The SDK packages that become lazy (their root import only; deep imports stay as they are). */
export const LAZY_SDK = /^@aws-sdk\/(client-[a-z0-9-]+|lib-dynamodb|util-dynamodb)$/;

const requireFromRoot = createRequire(join(ROOT, 'package.json'));
/** What the installed package keeps as real dependencies: package.json `dependencies`. */
const RUNTIME_DEPENDENCIES = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies ?? {});
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The generated stand-in for one SDK package: its runtime exports, each a lazy proxy. */
export function facadeSource(name, runtime = join(ROOT, 'lib', 'cli', 'lazy-sdk.ts')) {
  const real = requireFromRoot(name);
  const lines = [`import { lazyPackage } from ${JSON.stringify(runtime)};`, `const p = lazyPackage(${JSON.stringify(name)});`];
  for (const [key, value] of Object.entries(real)) {
    if (!IDENTIFIER.test(key) || key === 'default' || key.startsWith('__')) continue;
    if (typeof value === 'function') lines.push(`export const ${key} = /* @__PURE__ */ p.fn(${JSON.stringify(key)});`);
    else if (value && typeof value === 'object') lines.push(`export const ${key} = /* @__PURE__ */ p.obj(${JSON.stringify(key)});`);
    else if (value !== undefined) lines.push(`export const ${key} = ${JSON.stringify(value)};`);
  }
  return lines.join('\n');
}

/** Every .ts file under lib/ and the package manifest: what the bundle is made from. */
function sources(dir = join(ROOT, 'lib'), out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sources(path, out);
    else if (/\.(ts|mjs|json|yml)$/.test(entry.name)) out.push(path);
  }
  return out;
}

export function isStale() {
  if (!existsSync(ENTRY) || !existsSync(SDK_BUNDLE)) return true;
  const built = Math.min(statSync(ENTRY).mtimeMs, statSync(SDK_BUNDLE).mtimeMs);
  return [...sources(), join(ROOT, 'package.json'), join(ROOT, 'package-lock.json')].some((f) => existsSync(f) && statSync(f).mtimeMs > built);
}

export async function build({ log = console.error } = {}) {
  const esbuild = await import('esbuild');
  const started = Date.now();
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const lazy = new Set();
  const lazySdk = {
    name: 'trimtab-lazy-sdk',
    setup(b) {
      b.onResolve({ filter: LAZY_SDK }, (args) => ({ path: args.path, namespace: 'trimtab-lazy-sdk' }));
      b.onLoad({ filter: /.*/, namespace: 'trimtab-lazy-sdk' }, (args) => {
        lazy.add(args.path);
        return { contents: facadeSource(args.path), resolveDir: ROOT, loader: 'js' };
      });
    },
  };
  const common = { bundle: true, platform: 'node', target: 'node20', minify: true, logLevel: 'warning', absWorkingDir: ROOT };
  const main = await esbuild.build({
    ...common,
    entryPoints: { main: join(ROOT, 'lib', 'cli', 'main.ts') },
    outdir: OUT_DIR,
    format: 'esm',
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    // CommonJS dependencies inside an ESM bundle (the X-Ray SDK's require('util')) need a require.
    banner: { js: "import{createRequire as __trimtabRequire}from'node:module';const require=__trimtabRequire(import.meta.url);" },
    plugins: [lazySdk],
    // Local servers the sandbox starts read files from their own package folders: installed
    // (package.json dependencies), not bundled.
    external: RUNTIME_DEPENDENCIES,
    metafile: true,
  });
  writeFileSync(METAFILE, JSON.stringify(main.metafile));
  // The real SDK packages, one lazily-evaluated module each (esbuild's __commonJS wrappers).
  const names = [...lazy].sort();
  await esbuild.build({
    ...common,
    stdin: { contents: `module.exports = {\n${names.map((n) => `  ${JSON.stringify(n)}: () => require(${JSON.stringify(n)}),`).join('\n')}\n};\n`, resolveDir: ROOT, loader: 'js', sourcefile: 'sdk-entry.cjs' },
    outfile: SDK_BUNDLE,
    format: 'cjs',
  });
  // lib/cli/lazy-sdk.ts compiles sdk.cjs with node:vm to keep V8's code cache, and a vm script
  // cannot import() on Node 20 without a flag: the SDK's two import()s are of Node built-ins,
  // which require() gives the same named exports.
  const sdk = readFileSync(SDK_BUNDLE, 'utf8').replace(/\bimport\("(node:[a-z_/]+)"\)/g, 'Promise.resolve().then(()=>require("$1"))');
  if (/[^\w$.]import\(/.test(sdk)) throw new Error('sdk.cjs has an import() that lib/cli/lazy-sdk.ts cannot run: extend the rewrite in lib/cli/build.mjs');
  writeFileSync(SDK_BUNDLE, sdk);
  const bytes = readdirSync(OUT_DIR).reduce((sum, f) => sum + statSync(join(OUT_DIR, f)).size, 0);
  log(`trimtab: built ${relative(ROOT, OUT_DIR)}/ (${(bytes / 1e6).toFixed(1)} MB, ${names.length} lazy SDK packages) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { metafile: main.metafile, lazy: names };
}

/** For the test setup and the npm scripts: rebuild only what a source change made stale. */
export async function ensureBuilt(options) {
  if (isStale()) await build(options);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--if-stale')) await ensureBuilt();
  else await build();
}
