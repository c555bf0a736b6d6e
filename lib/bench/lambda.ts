/**
 * Lambda cost of the packaged functions: the zipped size of each (`osls package` →
 * .serverless/*.zip) and the cold-start module-initialisation time of each bundle (Node
 * `require`s the .cjs from the zip; median of N runs in fresh processes), each as a ratio to a
 * baseline: a bundle that imports only the AWS SDK clients that function's bundle includes,
 * built with the same esbuild options and zipped by the same zipper (serverless-esbuild's
 * archiver). The clients, and which packages dominate each bundle, come from an esbuild
 * metafile built with serverless.yml's own esbuild options (its `define` included).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import YAML from 'yaml';
import { median, round } from './stats.ts';
import { readZip } from './zip.ts';

export interface FunctionSize {
  name: string;
  handler: string;
  zipBytes: number;
  bundleBytes: number;
  memoryMb: number;
  /** @aws-sdk/client-* packages the bundle includes (imported outside the SDK itself). */
  clients: string[];
  /** The packages that take the most bytes of the bundle. */
  topPackages: { name: string; bytes: number }[];
  /** Estimated zip size with @aws-sdk/* and @smithy/* left to the Lambda runtime (measured, not applied). */
  zipBytesSdkExternal: number;
  /** The zip of a bundle of only `clients` (same esbuild options, same zipper). */
  baselineZipBytes: number;
  /** zipBytes / baselineZipBytes. */
  zipRatio: number;
  /** Bytes of the bundle that are not the AWS SDK (@aws-sdk, @smithy, @aws-crypto, @aws/*): what the function adds to its clients. */
  ownBytes: number;
  /** The largest of those, by package (lib/… for trimtab's own code). */
  ownTopPackages: { name: string; bytes: number }[];
}

export interface InitTiming {
  name: string;
  runs: number;
  medianMs: number;
  baselineMedianMs: number;
  ratio: number;
}

const requireHere = createRequire(import.meta.url);

export interface ServerlessConfig {
  provider: { memorySize?: number; timeout?: number };
  functions: Record<string, { handler: string; memorySize?: number; timeout?: number }>;
  custom: { esbuild: Record<string, unknown> };
}

/** serverless.yml as data (CloudFormation tags such as !Sub stay unresolved: not needed here). */
export function serverlessConfig(file = 'serverless.yml'): ServerlessConfig {
  return YAML.parse(readFileSync(file, 'utf8'), { logLevel: 'silent' }) as ServerlessConfig;
}

/** `npx osls package`: the zips in .serverless/. */
export function packageFunctions(log: (line: string) => void): number {
  const start = performance.now();
  log('packaging: npx osls package …');
  const out = spawnSync('npx', ['osls', 'package'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' } });
  if (out.status !== 0) throw new Error(`osls package failed (exit ${out.status}):\n${out.stdout}\n${out.stderr}`);
  return Math.round(performance.now() - start);
}

/**
 * The esbuild options serverless-esbuild uses (custom.esbuild), as esbuild API options. `define`
 * is a serverless variable there (${file(./lib/lambda/package-plugin.cjs):esbuildDefine}): the
 * same function gives it here, as `osls package` resolves it.
 */
function esbuildOptions(config: ServerlessConfig): esbuild.BuildOptions {
  const { bundle, minify, sourcemap, target, platform, format, mainFields, external } = config.custom.esbuild as Record<string, any>;
  const { esbuildDefine } = requireHere('../lambda/package-plugin.cjs') as { esbuildDefine: () => Record<string, string> };
  return { bundle, minify, sourcemap, target, platform, format, mainFields, external, define: esbuildDefine(), logLevel: 'error' };
}

const isSdk = (pkg: string) => pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/') || pkg.startsWith('@aws-crypto/') || pkg.startsWith('@aws/');

/** Zips one file the way serverless-esbuild zips a function (archiver, its defaults): the baseline's zip size. */
export async function zipLikeServerless(file: string, name: string, out: string): Promise<number> {
  const archiver = createRequire(requireHere.resolve('serverless-esbuild'))('archiver') as (format: string) => any;
  const zip = archiver('zip');
  const done = new Promise<void>((resolveDone, reject) => {
    const stream = createWriteStream(out);
    stream.on('close', () => resolveDone());
    zip.on('error', reject);
    zip.pipe(stream);
  });
  zip.file(file, { name, date: new Date(0) });
  await zip.finalize();
  await done;
  return readFileSync(out).length;
}

const packageOf = (path: string) => {
  // The outermost package: a nested copy (client-rbin/node_modules/@smithy/…) counts to the package that brought it.
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? m[1] : path.split('/').slice(0, 2).join('/');
};

async function analyse(entry: string, config: ServerlessConfig) {
  const opts = esbuildOptions(config);
  const built = await esbuild.build({ ...opts, entryPoints: [entry], write: false, metafile: true, outfile: join(tmpdir(), 'trimtab-bench-analyse.cjs') });
  const output = Object.values(built.metafile!.outputs)[0];
  const byPackage = new Map<string, number>();
  // trimtab's own code by folder (lib/approval, …), packages by name.
  const keyOf = (file: string) => (file.startsWith('lib/') || file.startsWith('functions/') ? file.split('/').slice(0, 2).join('/') : packageOf(file));
  for (const [file, info] of Object.entries(output.inputs)) byPackage.set(keyOf(file), (byPackage.get(keyOf(file)) ?? 0) + info.bytesInOutput);
  // A client counts when code outside the SDK imports it and some of it is in the output (tree-shaken imports are not carried).
  const inOutput = new Set([...byPackage.entries()].filter(([, bytes]) => bytes > 0).map(([pkg]) => pkg));
  const clients = new Set<string>();
  for (const [file, info] of Object.entries(built.metafile!.inputs)) {
    const importer = packageOf(file);
    if (importer.startsWith('@aws-sdk/') || importer.startsWith('@smithy/')) continue;
    for (const imp of info.imports) {
      const pkg = packageOf(imp.path);
      if (/^@aws-sdk\/client-/.test(pkg) && inOutput.has(pkg)) clients.add(pkg);
    }
  }
  const own = [...byPackage.entries()].filter(([pkg]) => !isSdk(pkg));
  const external = await esbuild.build({ ...opts, entryPoints: [entry], write: false, external: [...(opts.external ?? []), '@aws-sdk/*', '@smithy/*'], outfile: join(tmpdir(), 'trimtab-bench-external.cjs') });
  return {
    clients: [...clients].sort(),
    topPackages: [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([name, bytes]) => ({ name, bytes })),
    ownBytes: own.reduce((sum, [, bytes]) => sum + bytes, 0),
    ownTopPackages: own.sort((a, b) => b[1] - a[1]).slice(0, 5).map(([name, bytes]) => ({ name, bytes })),
    externalDeflated: deflateRawSync(external.outputFiles[0].contents, { level: 9 }).length,
  };
}

/** Sizes of every packaged function, its bundle unpacked to `bundleDir`. */
export async function functionSizes(bundleDir: string, serverlessDir = '.serverless'): Promise<FunctionSize[]> {
  const config = serverlessConfig();
  mkdirSync(bundleDir, { recursive: true });
  const zips = readdirSync(serverlessDir).filter((f) => f.endsWith('.zip')).sort();
  if (zips.length === 0) throw new Error(`no zips in ${serverlessDir}: run 'npx osls package' first`);
  const policyFileDeflated = existsSync('trimtab.yml') ? deflateRawSync(readFileSync('trimtab.yml'), { level: 9 }).length : 0;
  const out: FunctionSize[] = [];
  for (const zip of zips) {
    const name = basename(zip, '.zip');
    const fn = config.functions[name];
    if (!fn) throw new Error(`${zip} has no function '${name}' in serverless.yml`);
    const file = join(serverlessDir, zip);
    const entries = readZip(file);
    const bundle = entries.find((e) => e.name.endsWith('.cjs') || e.name.endsWith('.js'));
    if (!bundle) throw new Error(`${file} holds no bundle (.cjs)`);
    writeFileSync(join(bundleDir, `${name}.cjs`), bundle.read());
    const handlerFile = `${fn.handler.replace(/\.[^.]+$/, '')}.ts`;
    const analysis = await analyse(handlerFile, config);
    const baseline = await baselineBundle(analysis.clients, bundleDir);
    const baselineZipBytes = await zipLikeServerless(baseline, 'functions/baseline.cjs', baseline.replace(/\.cjs$/, '.zip'));
    const zipBytes = readFileSync(file).length;
    out.push({
      name,
      handler: fn.handler,
      zipBytes,
      baselineZipBytes,
      zipRatio: round(zipBytes / baselineZipBytes, 2),
      ownBytes: analysis.ownBytes,
      ownTopPackages: analysis.ownTopPackages,
      bundleBytes: bundle.size,
      memoryMb: fn.memorySize ?? config.provider.memorySize ?? 1024,
      clients: analysis.clients,
      topPackages: analysis.topPackages,
      // Local headers, central directory and end record: ~100 bytes per entry on top of the data.
      zipBytesSdkExternal: analysis.externalDeflated + policyFileDeflated + 100 * entries.length,
    });
  }
  return out;
}

/**
 * The baseline bundle's file name part for these clients: their names joined, or, past 120
 * characters, their count and a hash of the names (a function with 20 clients made a name past the
 * file system's 255 bytes, and the bench failed with ENAMETOOLONG after every scan case had run).
 */
export function baselineKey(clients: string[]): string {
  const names = clients.map((c) => c.replace('@aws-sdk/client-', '')).join('+') || 'none';
  return names.length <= 120 ? names : `${clients.length}-clients-${createHash('sha256').update(names).digest('hex').slice(0, 16)}`;
}

/** A bundle that imports only these clients, built like the functions (the init-time baseline). */
export async function baselineBundle(clients: string[], dir: string): Promise<string> {
  const key = baselineKey(clients);
  const file = resolve(dir, `baseline-${key}.cjs`);
  if (existsSync(file)) return file;
  const entry = resolve(dir, `baseline-${key}.ts`);
  // Named imports of each client class: what a function needs at init (its config and, for the newer SDK, its schema module).
  const imports: string[] = [];
  for (const [i, pkg] of clients.entries()) {
    const exported = Object.keys(await import(pkg)).find((k) => /^[A-Z][A-Za-z0-9]*Client$/.test(k) && k !== 'Client');
    if (!exported) throw new Error(`${pkg} exports no *Client class`);
    imports.push(`import { ${exported} as c${i} } from '${pkg}';`);
  }
  writeFileSync(entry, `${imports.join('\n')}\nexport const clients = [${clients.map((_, i) => `c${i}`).join(', ')}];\n`);
  const config = serverlessConfig();
  await esbuild.build({ ...esbuildOptions(config), entryPoints: [entry], outfile: file, nodePaths: [resolve('node_modules')] });
  return file;
}

/** Milliseconds Node takes to `require` a bundle, in a fresh process. */
export function requireTime(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const out = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', POWERTOOLS_DEV: 'true', POWERTOOLS_TRACE_ENABLED: 'false', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  if (out.status !== 0) throw new Error(`require(${file}) failed: ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return Number(out.stdout);
}

/** Init time of each function against its SDK-only baseline, runs interleaved so load drifts hit both alike. */
export async function initTimings(sizes: FunctionSize[], bundleDir: string, runs: number): Promise<InitTiming[]> {
  const out: InitTiming[] = [];
  for (const fn of sizes) {
    const baseline = await baselineBundle(fn.clients, bundleDir);
    const file = resolve(bundleDir, `${fn.name}.cjs`);
    const own: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < runs; i++) {
      own.push(requireTime(file));
      base.push(requireTime(baseline));
    }
    const m = median(own);
    const b = median(base);
    out.push({ name: fn.name, runs, medianMs: round(m, 1), baselineMedianMs: round(b, 1), ratio: round(m / b, 2) });
  }
  return out;
}
