// Types for lib/cli/build.mjs (plain JavaScript so `npm install` can run it before anything is compiled).
import type { Metafile } from 'esbuild';

export declare const ROOT: string;
export declare const OUT_DIR: string;
export declare const ENTRY: string;
export declare const SDK_BUNDLE: string;
export declare const METAFILE: string;
export declare const LAZY_SDK: RegExp;
export declare function facadeSource(name: string, runtime?: string): string;
export declare function isStale(): boolean;
export declare function build(options?: { log?: (line: string) => void }): Promise<{ metafile: Metafile; lazy: string[] }>;
export declare function ensureBuilt(options?: { log?: (line: string) => void }): Promise<void>;
