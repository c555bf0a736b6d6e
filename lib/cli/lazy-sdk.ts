/**
 * The built CLI's stand-ins for AWS SDK packages (used only by lib/cli/build.mjs; the sources
 * and the tests import the SDK directly).
 *
 * The resource modules import their SDK clients at the top (`import { EC2Client, … } from
 * '@aws-sdk/client-ec2'`), and the policy schema is composed from those modules, so a plain
 * bundle evaluates every client on every start, even for `trimtab validate`. In the bundle each
 * `@aws-sdk/*` import resolves to a generated module whose exports are these proxies instead:
 * the real package is required (from the separate dist/cli/sdk.cjs, whose modules are wrapped
 * and evaluated one by one) the first time an export is used: a command constructed, a
 * client created, a paginator called, an enum read. Commands and clients are classes, so the
 * proxies forward `new`, calls, static members and `instanceof`.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { privateTempDir, whyNotPrivate } from './private-dir.mjs';

type Loader = () => Record<string, unknown>;

let sdkBundle: Record<string, Loader> | undefined;

/** The SDK packages this process loaded, in order (the bench and the tests read it). */
export const loadedSdkPackages: string[] = [];

// TRIMTAB_SDK_LOAD_LOG=<file>: write that list as JSON when the process exits.
const loadLog = process.env.TRIMTAB_SDK_LOAD_LOG;
if (loadLog) process.on('exit', () => writeFileSync(loadLog, JSON.stringify(loadedSdkPackages)));

/**
 * Loads sdk.cjs as require() would, but through node:vm with V8's code cache: compiling the SDK's
 * 2.9 MB is most of a scan's start on Node 20, which has no module compile cache. The cache is
 * written at exit to the temp folder (keyed by the file, Node and CPU; V8 rejects a stale one,
 * then it is rewritten). TRIMTAB_CODE_CACHE=0 turns it off.
 */
function loadSdkBundle(file: string): Record<string, Loader> {
  if (process.env.TRIMTAB_CODE_CACHE === '0') return createRequire(file)(file) as Record<string, Loader>;
  const source = readFileSync(file, 'utf8');
  const { size, mtimeMs } = statSync(file);
  const { dir, problem } = privateTempDir('trimtab-code-cache');
  const cacheFile = join(dir, `sdk-${size}-${Math.round(mtimeMs)}-${process.version}-${process.arch}.bin`);
  let cachedData: Buffer | undefined;
  try {
    // Compiled code runs as is: only from a folder this user owns and nobody else can write to.
    if (!problem) cachedData = readFileSync(cacheFile);
  } catch {
    // first run: no cache yet
  }
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    // At exit the functions this run compiled are in the cache too; a rename keeps concurrent runs from reading half a file.
    process.once('exit', () => {
      try {
        if (problem || whyNotPrivate(dir)) return;
        const partial = `${cacheFile}.${process.pid}`;
        writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
        renameSync(partial, cacheFile);
      } catch {
        // a read-only temp folder: run without the cache
      }
    });
  }
  const module = { exports: {} as Record<string, Loader> };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/** dist/cli/sdk.cjs sits next to the chunk this code is bundled into. */
function sdkModule(name: string, from: string): Record<string, unknown> {
  sdkBundle ??= loadSdkBundle(fileURLToPath(new URL('./sdk.cjs', from)));
  const load = sdkBundle[name];
  if (!load) throw new Error(`trimtab build: ${name} is not in sdk.cjs (rebuild with npm run build)`);
  loadedSdkPackages.push(name);
  return load();
}

/** Loaded at most once per package, on first use. `from`: where sdk.cjs is looked up (tests). */
export function lazyPackage(name: string, from: string = import.meta.url) {
  let real: Record<string, unknown> | undefined;
  const mod = () => (real ??= sdkModule(name, from));
  const value = (exportName: string) => mod()[exportName];
  return {
    /** A class or function export. */
    fn(exportName: string): unknown {
      // The apply and construct traps need a target that is itself callable and constructible.
      const callable = function () {} as unknown as object;
      const get = () => value(exportName) as (...args: unknown[]) => unknown;
      const proxy: object = new Proxy(callable, {
        apply: (_t, self, args) => Reflect.apply(get(), self, args),
        construct: (_t, args, newTarget) => Reflect.construct(get(), args, newTarget === proxy ? get() : newTarget),
        get: (_t, prop) => (prop === 'prototype' ? get().prototype : Reflect.get(get(), prop)),
        has: (_t, prop) => Reflect.has(get(), prop),
        getPrototypeOf: () => Reflect.getPrototypeOf(get()),
      });
      return proxy;
    },
    /** An object export (an enum such as VolumeType). */
    obj(exportName: string): unknown {
      const get = () => value(exportName) as object;
      return new Proxy(
        {},
        {
          get: (_t, prop) => Reflect.get(get(), prop),
          has: (_t, prop) => Reflect.has(get(), prop),
          ownKeys: () => Reflect.ownKeys(get()),
          getOwnPropertyDescriptor: (_t, prop) => {
            const d = Reflect.getOwnPropertyDescriptor(get(), prop);
            return d && { ...d, configurable: true };
          },
          getPrototypeOf: () => Reflect.getPrototypeOf(get()),
        },
      );
    },
  };
}
