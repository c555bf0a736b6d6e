/**
 * Files the installed `trimtab` package ships and reads at run time: the default policies
 * (trimtab.yml) and the demo's sample events (events/). Found from this module's own location,
 * so they resolve the same from the sources (lib/cli/) and from the bundle (dist/cli/), whatever
 * the current folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding trimtab's own package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'trimtab') return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`trimtab: cannot find its own package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export const packageVersion = (): string => (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** The policies shipped with the package: what `validate`, `scan` and `demo` use when the folder has no trimtab.yml. */
export const packagedPolicyFile = () => join(packageRoot(), 'trimtab.yml');

/** A file shipped in the package (e.g. events/schedule-daily.json), whatever the current folder. */
export const packageFile = (relativePath: string): string => join(packageRoot(), relativePath);
