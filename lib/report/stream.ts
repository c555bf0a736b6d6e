/**
 * Report writers that stream: the engine hands each finding to `write` when its outcome is final
 * (RunOptions.sink), the writer turns it into its JSON element, CSV record or HTML row and
 * appends it to a file at once; `finish` writes what only the end knows (summary, totals by
 * benefit, charts). No format collects the findings first, so a scan of a million snapshots
 * holds none of them.
 *
 * The CLI spools to a temporary file and copies it to stdout when the run is over: a run that
 * fails half-way (a refused confirmation, an error) prints an error, never half a document.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { FindingResult, FindingSink, RunResult } from '../engine/run.ts';
import { csvHeader, findingCsvRecord, unevaluatedCsvRecord } from './csv.ts';
import { HtmlReportWriter, type ReportMeta } from './html.ts';
import { findingJson, jsonShows, resultTailJson } from './json.ts';

export type StreamFormat = 'json' | 'csv' | 'html';

export interface StreamOptions {
  verbose?: boolean;
  includeActions?: boolean;
}

/** A finding sink that writes one report format; `finish` completes the document. */
export interface ReportStream extends FindingSink {
  write(finding: FindingResult): void;
  finish(result: RunResult, apiCalls: number): void;
  /** Findings written (after the format's filter: protected ones need --verbose in JSON and CSV). */
  readonly written: number;
}

/** Indents every line but the first by `pad` (a value nested in the pretty-printed document). */
const nest = (json: string, pad: string) => json.replace(/\n/g, `\n${pad}`);

/**
 * One format over `out`. JSON is byte for byte what `JSON.stringify(resultJson(...), null, 2)`
 * prints (lib/cli/format.ts), element by element.
 */
export function reportStream(format: StreamFormat, out: (text: string) => void, meta: ReportMeta, options: StreamOptions = {}): ReportStream {
  let written = 0;
  if (format === 'csv') {
    out(csvHeader());
    return {
      get written() {
        return written;
      },
      write(f) {
        if (!options.verbose && f.status === 'protected') return;
        written += 1;
        out(findingCsvRecord(f));
      },
      finish(result) {
        // Known only at the end: the detectors a failed read kept from running.
        for (const u of result.unevaluated ?? []) out(unevaluatedCsvRecord(u));
      },
    };
  }
  if (format === 'json') {
    out('{\n  "findings": [');
    return {
      get written() {
        return written;
      },
      write(f) {
        if (!jsonShows(f, options)) return;
        out(`${written ? ',' : ''}\n    ${nest(JSON.stringify(findingJson(f), null, 2), '    ')}`);
        written += 1;
      },
      finish(result, apiCalls) {
        const tail = JSON.stringify(resultTailJson(result, apiCalls, options), null, 2);
        // The tail object's members follow the findings array in the same object.
        out(`${written ? '\n  ' : ''}],\n${tail.slice(2)}\n`);
      },
    };
  }
  const html = new HtmlReportWriter(out, { ...meta, includeProtected: true });
  return {
    get written() {
      return written;
    },
    write(f) {
      written += 1;
      html.write(f);
    },
    finish(result, apiCalls) {
      html.finish(result, result.actions, undefined, apiCalls);
    },
  };
}

/** Buffered appends to a file: one write per 64 KiB, so a million findings make ~1k system calls, not a million. */
export class SpoolFile {
  readonly dir = mkdtempSync(join(tmpdir(), 'trimtab-report-'));
  readonly path = join(this.dir, 'report');
  private readonly fd = openSync(this.path, 'w+');
  private buffer: string[] = [];
  private size = 0;
  bytes = 0;

  readonly append = (text: string) => {
    this.buffer.push(text);
    this.size += text.length;
    if (this.size >= 65_536) this.flush();
  };

  private flush() {
    if (!this.size) return;
    const chunk = Buffer.from(this.buffer.join(''), 'utf8');
    writeSync(this.fd, chunk);
    this.bytes += chunk.length;
    this.buffer = [];
    this.size = 0;
  }

  /** Copies the file to `stream` in 1 MiB pieces, waiting for a slow reader (a pipe) to drain. */
  async copyTo(stream: NodeJS.WritableStream): Promise<void> {
    this.flush();
    const piece = Buffer.alloc(1 << 20);
    // A character cut at a piece's end is completed by the next piece.
    const decoder = new StringDecoder('utf8');
    let position = 0;
    for (;;) {
      const n = readSync(this.fd, piece, 0, piece.length, position);
      if (n === 0) break;
      position += n;
      // A string: stdout in tests is often a spy that collects what it is given as text.
      if (!stream.write(decoder.write(piece.subarray(0, n)))) await new Promise((resolve) => stream.once('drain', resolve));
    }
    const rest = decoder.end();
    if (rest) stream.write(rest);
  }

  close() {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
