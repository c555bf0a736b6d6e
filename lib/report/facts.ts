/**
 * Evidence as labelled facts a person reads, not camelCase keys and raw JSON: `estimatedMonthlyCostUsd: 8`
 * reads "Estimated monthly cost: $8.00", `sizeGb: 100` "Size: 100 GB", `atMaxShare: 0.35` "At max share: 35 %",
 * `requestCount14d: 0` "Request count (14 days): 0". A unit comes from the key's last word (Usd, Gb, GiB, Mb,
 * MiBps, Days, Hours, Percent, Share, Ms, Seconds, Iops); nested objects read as "Label value" pairs in
 * parentheses, long series as a summary (they are charted), account data (tags, names) as it is.
 * Used by the HTML report and the approval email and page.
 */

export interface Fact {
  label: string;
  value: string;
}

/** Words written in capitals (or their usual form) in a label. */
const ACRONYMS: Record<string, string> = {
  cpu: 'CPU', iops: 'IOPS', ip: 'IP', ipv4: 'IPv4', ipv6: 'IPv6', id: 'ID', ids: 'IDs', ami: 'AMI', amis: 'AMIs', az: 'AZ', arn: 'ARN', arns: 'ARNs',
  ebs: 'EBS', rds: 'RDS', acu: 'ACU', rcu: 'RCU', wcu: 'WCU', url: 'URL', dns: 'DNS', vpc: 'VPC', nat: 'NAT', s3: 'S3', db: 'DB', ttl: 'TTL',
  ec2: 'EC2', elb: 'ELB', lb: 'LB', asg: 'ASG', ssd: 'SSD', hdd: 'HDD', kms: 'KMS', sns: 'SNS', sqs: 'SQS', api: 'API', byoip: 'BYOIP', io: 'I/O',
  vcpu: 'vCPU', vcpus: 'vCPUs', gp2: 'gp2', gp3: 'gp3', io1: 'io1', io2: 'io2', p50: 'p50', p90: 'p90', p95: 'p95', p99: 'p99', utc: 'UTC',
};

type Unit = { label?: string; format: (n: number) => string; keepWord?: boolean };

const number = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });
const money = (n: number) => `${n < 0 ? '-' : ''}$${Math.abs(n).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** A key's last word → how its number reads. `keepWord`: the word stays in the label ("share"). */
const UNITS: Record<string, Unit> = {
  usd: { format: money },
  gb: { format: (n) => `${number(n)} GB` },
  gib: { format: (n) => `${number(n)} GiB` },
  mb: { format: (n) => `${number(n)} MB` },
  mib: { format: (n) => `${number(n)} MiB` },
  mibps: { format: (n) => `${number(n)} MiB/s` },
  mbps: { format: (n) => `${number(n)} MB/s` },
  days: { format: (n) => `${number(n)} day${n === 1 ? '' : 's'}` },
  hours: { format: (n) => `${number(n)} h` },
  minutes: { format: (n) => `${number(n)} min` },
  seconds: { format: (n) => `${number(n)} s` },
  ms: { format: (n) => `${number(n)} ms` },
  percent: { format: (n) => `${number(n)} %` },
  pct: { format: (n) => `${number(n)} %` },
  share: { format: (n) => `${number(Math.round(n * 1000) / 10)} %`, keepWord: true },
  iops: { format: (n) => `${number(n)} IOPS` },
  bytes: { format: (n) => `${number(n)} bytes` },
};

/** A key as words: camelCase and digits split ("requestCount14d" → request, count, 14d). */
function words(key: string): string[] {
  return key
    .replace(/MiBps/g, '_mibps')
    .replace(/GiB/g, '_gib')
    .replace(/MiB/g, '_mib')
    .replace(/IPv([46])/g, '_ipv$1')
    .split(/_|(?<=[a-z])(?=[A-Z0-9])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[0-9])(?=[A-Z])/)
    .filter(Boolean)
    .map((w) => w.toLowerCase())
    // Digits belong to a short word before them: p95, gp2, ipv4, ec2, s3 (not "count 14d").
    .reduce<string[]>((out, w) => {
      const prev = out[out.length - 1];
      if (prev !== undefined && /^\d+$/.test(w) && /^[a-z]{1,3}$/.test(prev)) out[out.length - 1] = prev + w;
      else out.push(w);
      return out;
    }, []);
}

/** Whether a key is a program's name for a field (camelCase) rather than account data (a tag key). */
const isFieldName = (key: string) => /^[a-z][a-zA-Z0-9]*$/.test(key);

/** A field name as a label and the unit its numbers carry. */
export function factLabel(key: string): { label: string; unit?: Unit } {
  if (!isFieldName(key)) return { label: key };
  const ws = words(key);
  const last = ws[ws.length - 1];
  const unit = ws.length > 1 || UNITS[last]?.keepWord ? UNITS[last] : undefined;
  const shown = unit && !unit.keepWord ? ws.slice(0, -1) : ws;
  const text = shown
    .map((w, i) => {
      const period = /^(\d+)([dhm])$/.exec(w);
      if (period) return `(${period[1]} ${{ d: 'days', h: 'hours', m: 'minutes' }[period[2] as 'd' | 'h' | 'm']})`;
      const known = ACRONYMS[w];
      if (known) return known;
      return i === 0 ? w[0].toUpperCase() + w.slice(1) : w;
    })
    .join(' ');
  return { label: text || key, unit };
}

/** Keys whose values are account data, shown as they are (key=value), never relabelled. */
const ACCOUNT_DATA = new Set(['tags', 'tagsAtDelete']);

/** A value as text: numbers with the key's unit, lists joined, objects as labelled pairs, series summarised. */
export function factValue(value: unknown, unit?: Unit, depth = 0, raw = false): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'number') return unit ? unit.format(value) : number(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    if (!value.length) return 'none';
    const numbers = value.filter((v): v is number => typeof v === 'number');
    // A long series (hourly CPU, say) is charted: here its size and range.
    if (value.length > 12 && numbers.length === value.filter((v) => v !== null).length) {
      const f = (n: number) => (unit ? unit.format(n) : number(Math.round(n * 10) / 10));
      const avg = numbers.length ? numbers.reduce((a, b) => a + b, 0) / numbers.length : 0;
      return numbers.length ? `${value.length} values (min ${f(Math.min(...numbers))}, average ${f(avg)}, max ${f(Math.max(...numbers))})` : `${value.length} values, none known`;
    }
    const shown = value.slice(0, 8).map((v) => factValue(v, unit, depth + 1, raw));
    return `${shown.join(', ')}${value.length > 8 ? `, and ${value.length - 8} more` : ''}`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.length) return 'none';
    if (depth > 3) return `(${entries.length} fields)`;
    const text = entries
      .map(([k, v]) => {
        if (raw) return `${k}=${factValue(v, undefined, depth + 1, true)}`;
        const l = factLabel(k);
        return `${l.label} ${factValue(v, l.unit, depth + 1, ACCOUNT_DATA.has(k))}`;
      })
      .join(depth > 0 ? ', ' : '; ');
    return depth > 0 ? `(${text})` : text;
  }
  return String(value);
}

/** One piece of evidence as a labelled fact. */
export function fact(key: string, value: unknown): Fact {
  const l = factLabel(key);
  return { label: l.label, value: factValue(value, l.unit, 0, ACCOUNT_DATA.has(key)) };
}

/** A finding's evidence as labelled facts, in its order. */
export const facts = (evidence: Record<string, unknown>): Fact[] => Object.entries(evidence ?? {}).map(([k, v]) => fact(k, v));

/** A value as labelled facts (the older entry point): `{"vcpu":8}` reads "vCPU 8". */
export function factText(value: unknown, depth = 0): string {
  return factValue(value, undefined, depth);
}
