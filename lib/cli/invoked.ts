/**
 * The `trimtab` command as the user invoked it, for the hints the CLI prints ("Next: …", undo
 * commands). `npx trimtab` outside the clone would make npm fetch a package named `trimtab` from
 * the registry, a name this project does not own: a hint never says `npx` unless the user used it.
 *
 *   npx trimtab …                 → npx trimtab            (npm_command=exec: npx found the local bin)
 *   npm run trimtab -- … / demo   → npm run trimtab --     (the clone's package.json scripts)
 *   trimtab …  (installed bin)    → trimtab
 *   node lib/cli/trimtab.mjs …    → node lib/cli/trimtab.mjs (relative to the current folder)
 *   anything else (in process)    → trimtab
 */
import { basename, isAbsolute, relative } from 'node:path';

export function invokedAs(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv, cwd: string = process.cwd()): string {
  if (env.npm_command === 'exec') return 'npx trimtab';
  if (env.npm_command === 'run-script' && (env.npm_lifecycle_event === 'trimtab' || env.npm_lifecycle_event === 'demo')) return 'npm run trimtab --';
  const script = argv[1] ?? '';
  if (basename(script) === 'trimtab') return 'trimtab';
  if (basename(script) === 'trimtab.mjs') {
    const rel = relative(cwd, script);
    return `node ${rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : script}`;
  }
  return 'trimtab';
}

/** `<command> undo <id>`, with `--sandbox` when the action was taken in the sandbox. */
export const undoHint = (id: string, sandbox: boolean, command = invokedAs()) => `${command} undo ${id}${sandbox ? ' --sandbox' : ''}`;
