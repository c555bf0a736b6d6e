/** The file formats of `trimtab scan|run --output html|csv` (the CLI's print() hands over here). */
import type { RunResult } from '../engine/run.ts';
import { findingsCsv } from './csv.ts';
import { renderHtmlReport, type ReportMeta } from './html.ts';

export const REPORT_FORMATS = ['html', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const isReportFormat = (format: string): format is ReportFormat => (REPORT_FORMATS as readonly string[]).includes(format);

/** HTML lists protected findings with their reason; CSV follows --verbose like JSON does. */
export function renderReport(format: ReportFormat, result: RunResult, meta: ReportMeta & { verbose?: boolean }): string {
  if (format === 'html') return renderHtmlReport(result, meta);
  return findingsCsv(result.findings.filter((f) => meta.verbose || f.status !== 'protected'), result.unevaluated);
}
