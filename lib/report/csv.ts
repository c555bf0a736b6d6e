/**
 * `--output csv`: one row per finding, RFC 4180 (CRLF line ends; a field holding a comma, a
 * quote, CR or LF is quoted, quotes doubled). Opens in any spreadsheet.
 */
import type { FindingResult } from '../engine/run.ts';
import { unevaluatedLine, type Unevaluated } from '../engine/partial.ts';
import { benefitGroup } from '../engine/tally.ts';
import { usd } from '../savings/prices.ts';
import { benefitText, riskText } from './totals.ts';

export const CSV_COLUMNS = [
  'policy',
  'resource_type',
  'resource_id',
  'arn',
  'account',
  'region',
  'detector',
  'status',
  'mode',
  'outcome',
  'action',
  'plan',
  'reason',
  'outcome_detail',
  'estimated_monthly_savings_usd',
  'evidence_json',
  /** cost, performance or cost+performance (added last: existing column positions stay). */
  'benefit',
  /** What a performance finding protects against (e.g. "CPU above 90 % for 31 % of hours"). */
  'risk',
] as const;

/**
 * One field. Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a
 * leading apostrophe: resource names and tags come from the account, not from trimtab.
 */
export function csvField(value: unknown, { numeric = false } = {}): string {
  let text = value === undefined || value === null ? '' : String(value);
  if (!numeric && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvRow = (fields: string[]) => fields.join(',');

/** The header record, CRLF included. */
export const csvHeader = () => `${csvRow([...CSV_COLUMNS])}\r\n`;

/** One finding's record, CRLF included (RFC 4180: every record ends with CRLF). */
export function findingCsvRecord(f: FindingResult): string {
  return `${csvRow([
    csvField(f.policy),
    csvField(f.resource.type),
    csvField(f.resource.id),
    csvField(f.resource.arn),
    csvField(f.resource.account),
    csvField(f.resource.region),
    csvField(f.detector),
    csvField(f.status),
    csvField(f.mode),
    csvField(f.outcome),
    csvField(f.plan?.action ?? ''),
    csvField(f.plan?.summary ?? ''),
    csvField(f.reason),
    csvField(f.outcomeDetail ?? ''),
    csvField(f.status === 'protected' ? 0 : usd(f.savings.monthlyUsd).toFixed(2), { numeric: true }),
    csvField(JSON.stringify(f.evidence)),
    csvField(benefitText(benefitGroup(f))),
    csvField(riskText(f)),
  ])}\r\n`;
}

/**
 * A detector a failed read kept from running (docs/partial-failures.md): one record per policy,
 * detector, region and reason, after the findings. status and outcome are `not-evaluated`,
 * resource_id holds the sample of ids, reason says how many and why, evidence_json the whole group.
 */
export function unevaluatedCsvRecord(u: Unevaluated): string {
  return `${csvRow([
    csvField(u.policy),
    csvField(u.resourceType),
    csvField(u.sample.join(' ')),
    '',
    csvField(u.account),
    csvField(u.region),
    csvField(u.detector),
    'not-evaluated',
    '',
    'not-evaluated',
    '',
    '',
    csvField(unevaluatedLine(u)),
    csvField(u.reason.missingPermission ? `missing IAM permission ${u.reason.missingPermission}` : `${u.reason.operation} ${u.reason.code}`),
    csvField('0.00', { numeric: true }),
    csvField(JSON.stringify(u)),
    '',
    '',
  ])}\r\n`;
}

export function findingsCsv(findings: FindingResult[], unevaluated: Unevaluated[] = []): string {
  return csvHeader() + findings.map(findingCsvRecord).join('') + unevaluated.map(unevaluatedCsvRecord).join('');
}
