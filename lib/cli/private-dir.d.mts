// Types for lib/cli/private-dir.mjs (plain JavaScript so the launcher can use it before the bundle is loaded).
export interface PrivateDirOptions {
  /** The temp folder (default: os.tmpdir()). */
  tmp?: string;
  /** The user the folder must belong to (default: process.getuid(); undefined on Windows). */
  uid?: number;
}

export declare function whyNotPrivate(dir: string, uid?: number): string | undefined;
export declare function privateTempDir(name: string, options?: PrivateDirOptions): { dir: string; problem?: string };
export declare function compileCacheDir(options?: PrivateDirOptions): string | undefined;
