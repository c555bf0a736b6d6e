/**
 * Headless Chromium for the report test and the docs screenshot (dev only: playwright-core and
 * @sparticuz/chromium are devDependencies). The browser comes through npm, so `npm install &&
 * npm test` needs no apt step and no browser download:
 *
 *   1. CHROMIUM_PATH, when set (any Chrome or Chromium you choose);
 *   2. on Linux x64, the headless Chromium inside @sparticuz/chromium (pinned), unpacked once
 *      by its executablePath() into this user's private folder <tmp>/trimtab-chromium-<uid>
 *      (0700, checked with lstat; never a <tmp>/chromium another user could have placed);
 *   3. otherwise an installed Chrome/Chromium: on PATH, or where macOS/Windows installers put it;
 *   4. none: an error naming what to install for this platform.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { privateTempDir } from '../cli/private-dir.mjs';

/** Flags for a quiet, offline, throwaway system browser (the team's toolchain notes). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * @sparticuz/chromium's own flags minus the two that weaken page security: it is built for
 * Lambda scraping; a report renders local files and needs neither.
 */
const UNSAFE_NPM_ARGS = new Set(['--disable-web-security', '--allow-running-insecure-content']);

export interface BrowserChoice {
  executablePath: string;
  args: string[];
  /** Where it came from, for messages: 'CHROMIUM_PATH', 'npm @sparticuz/chromium', 'system'. */
  source: string;
}

export interface BrowserHost {
  platform: NodeJS.Platform;
  arch: string;
  env: NodeJS.ProcessEnv;
  exists(path: string): boolean;
}

const currentHost = (): BrowserHost => ({ platform: process.platform, arch: process.arch, env: process.env, exists: existsSync });

/** The npm package ships an x64 Linux binary only (its README: "includes only x64 binaries"). */
export const npmBrowserSupported = (host: Pick<BrowserHost, 'platform' | 'arch'>) => host.platform === 'linux' && host.arch === 'x64';

/** An installed Chrome or Chromium: PATH first, then the platform's usual install places. */
export function systemChromiumPath(host: BrowserHost = currentHost()): string | undefined {
  const names = host.platform === 'win32' ? ['chrome.exe', 'msedge.exe'] : ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
  for (const dir of (host.env.PATH ?? '').split(delimiter)) {
    for (const name of names) if (dir && host.exists(join(dir, name))) return join(dir, name);
  }
  const known =
    host.platform === 'darwin'
      ? ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium']
      : host.platform === 'win32'
        ? [host.env.PROGRAMFILES, host.env['PROGRAMFILES(X86)'], host.env.LOCALAPPDATA].filter(Boolean).map((base) => `${base}\\Google\\Chrome\\Application\\chrome.exe`)
        : [];
  return known.find((p) => host.exists(p));
}

/** What to install when no browser is found, for this platform. */
export function installHint(host: Pick<BrowserHost, 'platform' | 'arch'>): string {
  if (host.platform === 'darwin') return 'install Google Chrome (https://www.google.com/chrome/) or Chromium (`brew install --cask chromium`)';
  if (host.platform === 'win32') return 'install Google Chrome (https://www.google.com/chrome/)';
  if (host.platform === 'linux') return `the npm browser (@sparticuz/chromium) has no ${host.arch} build: install Chromium (Debian/Ubuntu: \`apt-get install chromium\`)`;
  return 'install Chrome or Chromium';
}

/**
 * Which browser to launch, without unpacking anything: the npm one is named by its package
 * and unpacked by launchBrowser(). Pure over `host`, so every platform's branch is tested here.
 */
export function chooseBrowser(host: BrowserHost = currentHost()): { kind: 'path'; choice: BrowserChoice } | { kind: 'npm' } {
  const explicit = host.env.CHROMIUM_PATH;
  if (explicit) {
    if (!host.exists(explicit)) throw new Error(`CHROMIUM_PATH is set to '${explicit}', which does not exist: point it at a Chrome or Chromium binary, or unset it.`);
    return { kind: 'path', choice: { executablePath: explicit, args: CHROMIUM_ARGS, source: 'CHROMIUM_PATH' } };
  }
  if (npmBrowserSupported(host)) return { kind: 'npm' };
  const system = systemChromiumPath(host);
  if (system) return { kind: 'path', choice: { executablePath: system, args: CHROMIUM_ARGS, source: 'system' } };
  throw new Error(`No headless browser for ${host.platform}/${host.arch}: ${installHint(host)}, or set CHROMIUM_PATH to a Chrome or Chromium binary.`);
}

export interface NpmChromiumOptions {
  /** The temp folder (default: os.tmpdir()). */
  tmp?: string;
  /** The user the private folder must belong to (default: this process's uid). */
  uid?: number;
}

/**
 * Unpacks the npm Chromium once, into this user's private folder `<tmp>/trimtab-chromium-<uid>`.
 *
 * @sparticuz/chromium is built for Lambda, where /tmp belongs to one function: it runs
 * `<tmp>/chromium` whenever that file exists, and loads the SwiftShader libraries it unpacks next
 * to it. On a shared machine another user can place that file first, and it would run as the
 * victim. So the package is pointed at a folder only this user controls (created 0700, and used
 * only when lstat shows a real directory of this uid with mode 0700: lib/cli/private-dir.mjs);
 * anything else is refused with the reason, and a file at `<tmp>/chromium` is never looked at.
 *
 * Test files run in parallel processes and the package writes the binary in place, so a second
 * process could launch a half-written file: one process unpacks under a lock directory, the
 * others wait for it.
 */
export async function npmChromium(options: NpmChromiumOptions = {}): Promise<BrowserChoice> {
  const { dir, problem } = privateTempDir('trimtab-chromium', options);
  if (problem) {
    throw new Error(`Will not unpack or run the npm Chromium in ${dir}: ${problem}. It may have been placed there by another user: remove it, or set TMPDIR to a folder of your own, or set CHROMIUM_PATH to a Chrome or Chromium binary.`);
  }
  const { default: Chromium } = await import('@sparticuz/chromium');
  const lock = join(dir, 'unpack.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than two minutes belongs to a process that died while unpacking.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (Date.now() > deadline || age > 120_000) rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    const executablePath = await inFolder(dir, () => Chromium.executablePath());
    // A package version that stopped honouring the temp folder would run something else: refuse.
    if (dirname(executablePath) !== dir) throw new Error(`@sparticuz/chromium unpacked to ${executablePath}, outside the private folder ${dir}: set CHROMIUM_PATH to a Chrome or Chromium binary.`);
    return { executablePath, args: Chromium.args.filter((a) => !UNSAFE_NPM_ARGS.has(a)), source: 'npm @sparticuz/chromium' };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Runs `start` with os.tmpdir() answering `dir`. @sparticuz/chromium reads tmpdir() only in the
 * synchronous part of executablePath() (where it checks for `<tmp>/chromium` and names every
 * output file), so TMPDIR is restored before anything else in this process can run.
 */
async function inFolder<T>(dir: string, start: () => Promise<T>): Promise<T> {
  const saved = process.env.TMPDIR;
  let pending: Promise<T>;
  process.env.TMPDIR = dir;
  try {
    pending = start();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  return pending;
}

export async function resolveBrowser(host: BrowserHost = currentHost()): Promise<BrowserChoice> {
  const chosen = chooseBrowser(host);
  return chosen.kind === 'path' ? chosen.choice : npmChromium();
}

/** A browser context with a fresh --user-data-dir; close() removes the profile too. */
export async function launchBrowser(): Promise<{ context: BrowserContext; browser: BrowserChoice; close(): Promise<void> }> {
  const browser = await resolveBrowser();
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'trimtab-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: browser.executablePath,
      headless: true,
      args: browser.args,
      viewport: { width: 1360, height: 900 },
      offline: true,
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    const hint = browser.source === 'CHROMIUM_PATH' ? 'check CHROMIUM_PATH' : browser.source === 'system' ? 'set CHROMIUM_PATH to another Chrome or Chromium' : `delete ${browser.executablePath} (a damaged unpack) and retry, or set CHROMIUM_PATH to an installed Chromium`;
    throw new Error(`Could not start the ${browser.source} browser at ${browser.executablePath}: ${hint}.`, { cause: error });
  }
  return {
    context,
    browser,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
