/** Runs the real `trimtab` command in a child process, for the CLI integration tests. */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const BIN = resolve('lib/cli/trimtab.mjs');
/** The kill timeout of one command (see runTrimtab). */
export const CLI_KILL_MS = 300_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the process, in ms. */
  ms: number;
}

/**
 * `trimtab <args>` with its home, sandbox and history in `dir` and no AWS at all (no config,
 * no credentials, no instance metadata). A process still alive after 300 s (e.g. a local server
 * that kept it open) is killed, and the result says so with a non-zero code. 300 s, not less: at a
 * load average of 25 one `run --sandbox --stage` with its dynalite took over 60 s, and a busy
 * machine must make a test slow, never red. A test that runs several commands has a budget above
 * the sum it can need (vi.setConfig in the file).
 */
export async function runTrimtab(dir: string, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  const started = performance.now();
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH!,
        HOME: dir,
        TRIMTAB_SANDBOX_FILE: join(dir, 'sandbox.json'),
        TRIMTAB_SANDBOX_HISTORY_FILE: join(dir, 'sandbox-actions.jsonl'),
        TRIMTAB_HISTORY_FILE: join(dir, 'actions.jsonl'),
        AWS_CONFIG_FILE: join(dir, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        ...options.env,
      },
      timeout: CLI_KILL_MS,
    });
    return { code: 0, stdout, stderr, ms: performance.now() - started };
  } catch (error: any) {
    return { code: error.code as number, stdout: error.stdout as string, stderr: error.stderr as string, ms: performance.now() - started };
  }
}
