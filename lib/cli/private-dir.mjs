// Per-user private folders under the shared temp folder, for anything trimtab later runs or
// loads as code: the npm Chromium (lib/report/browser.ts), V8's code cache of the SDK bundle
// (lib/cli/lazy-sdk.ts) and Node's module compile cache (lib/cli/trimtab.mjs).
//
// Plain JavaScript (types in private-dir.d.mts) so the launcher can use it before the bundle
// is loaded; the bundle and the sources import the same file.
//
// The temp folder (/tmp) is shared by every user of the machine: a file or folder another user
// placed there, under the name trimtab would use, would run as the victim. So a folder is used
// only when `lstat` (which never follows a symbolic link) shows a real directory owned by this
// uid with mode 0700 (nothing for group or others), inside a parent that others cannot
// rename it out of (not writable by them, or sticky like /tmp). The name carries the uid, so two
// users of one machine never compete for one name.
import { lstatSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Why `dir` is not a folder only `uid` controls, or undefined when it is. */
export function whyNotPrivate(dir, uid = process.getuid?.()) {
  // Windows: no POSIX owners or modes; its temp folder is per user (%LOCALAPPDATA%\Temp).
  if (uid === undefined) return undefined;
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  if (!stat) return 'it does not exist';
  if (stat.isSymbolicLink()) return 'it is a symbolic link (never followed)';
  if (!stat.isDirectory()) return 'it is not a folder';
  if (stat.uid !== uid) return `it belongs to uid ${stat.uid}, not to this user (uid ${uid})`;
  if ((stat.mode & 0o077) !== 0) return `its mode is ${(stat.mode & 0o777).toString(8).padStart(4, '0')}: group or others have access (0700 needed)`;
  const parent = statSync(dirname(dir), { throwIfNoEntry: false });
  if (parent && (parent.mode & 0o022) !== 0 && (parent.mode & 0o1000) === 0) {
    return `its parent folder ${dirname(dir)} is writable by others and not sticky (they could swap the folder)`;
  }
  return undefined;
}

/**
 * `<tmp>/<name>-<uid>`, created with mode 0700 when missing (never through a symbolic link:
 * mkdir does not follow one). `problem` says why it must not be used, when it must not.
 */
export function privateTempDir(name, { tmp = tmpdir(), uid = process.getuid?.() } = {}) {
  const dir = join(tmp, uid === undefined ? name : `${name}-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (error?.code !== 'EEXIST') return { dir, problem: `it cannot be created (${error?.code ?? error})` };
  }
  const problem = whyNotPrivate(dir, uid);
  return problem ? { dir, problem } : { dir };
}

/**
 * The folder for Node's module compile cache (Node ≥ 22.1, module.enableCompileCache): this
 * user's private one, never Node's default `<tmp>/node-compile-cache` that every user shares.
 * Undefined when it is not private (the launcher then runs without the cache).
 */
export function compileCacheDir(options) {
  const { dir, problem } = privateTempDir('trimtab-compile-cache', options);
  return problem ? undefined : dir;
}
