import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTION_DOCS_FILE, optionDocsModule } from '../../../lib/reference/generate.ts';
import { REFERENCE_DIR, referencePages, resourcePage } from '../../../lib/reference/markdown.ts';
import { referenceModel, resourceDoc, typeText } from '../../../lib/reference/model.ts';
import { extractOptionDocs } from '../../../lib/reference/option-docs.ts';
import { resourceDetailText, resourcesListText, wrap } from '../../../lib/cli/resources.ts';
import { detectors, remediators, resourceTypes } from '../../../lib/resources/index.ts';

describe('docs/reference (generated)', () => {
  it('matches the registries and their schemas (regenerate: npm run docs:reference)', () => {
    // Prepare
    const pages = referencePages(referenceModel());
    // Act
    const committed = readdirSync(REFERENCE_DIR).filter((f) => f.endsWith('.md')).sort();
    // Assess
    expect(committed).toEqual(Object.keys(pages).sort());
    for (const [file, text] of Object.entries(pages)) expect(readFileSync(join(REFERENCE_DIR, file), 'utf8'), `${REFERENCE_DIR}/${file} is stale: run npm run docs:reference`).toBe(text);
  });

  it('carries option descriptions that match the JSDoc in lib/resources (regenerate: npm run docs:reference)', () => {
    expect(readFileSync(OPTION_DOCS_FILE, 'utf8'), `${OPTION_DOCS_FILE} is stale: run npm run docs:reference`).toBe(optionDocsModule(extractOptionDocs()));
  });

  it('covers every resource type, detector and action, and describes every option', () => {
    // Act
    const model = referenceModel();
    // Assess
    expect(model.map((r) => r.id)).toEqual(resourceTypes.ids());
    for (const r of model) {
      expect(r.detectors.map((d) => d.id)).toEqual(detectors(r.id).ids());
      expect(r.actions.map((a) => a.id)).toEqual(remediators(r.id).ids());
    }
    expect(model.flatMap((r) => r.detectors).length).toBeGreaterThanOrEqual(20);
    const undescribed = model.flatMap((r) => [...r.detectors, ...r.actions].flatMap((e) => e.options.filter((o) => !o.description).map((o) => `${r.id} ${e.id} ${o.name}`)));
    expect(undescribed).toEqual([]);
  });

  it('gives each option its type, default and description from the zod schema and the JSDoc', () => {
    // Act
    const idle = resourceDoc('ec2-instance').detectors.find((d) => d.id === 'idle-instance')!;
    const lifecycle = resourceDoc('s3-bucket').actions.find((a) => a.id === 'add-lifecycle-rules')!;
    // Assess
    expect(idle.options.find((o) => o.name === 'windowDays')).toEqual({ name: 'windowDays', type: 'integer, 4–63', default: '14', required: false, description: 'Whole UTC days of CloudWatch metrics to judge by, ending at midnight.' });
    expect(idle.options.find((o) => o.name === 'maxCpuPercent')).toMatchObject({ type: 'number, 0–100', default: '10', description: expect.stringContaining('Trusted Advisor: 10') });
    // Nested options are flattened; an enum lists its values.
    expect(lifecycle.options.find((o) => o.name === 'transition.storageClass')).toMatchObject({ type: 'one of `INTELLIGENT_TIERING`, `STANDARD_IA`', default: '"INTELLIGENT_TIERING"' });
    expect(lifecycle.options.find((o) => o.name === 'rules')).toMatchObject({ type: expect.stringMatching(/^list of `abort-incomplete-uploads`/), required: false });
    expect(lifecycle.options.find((o) => o.name === 'rules')!.default).toBeUndefined();
  });

  it('gives each action its undo, recommended mode and IAM, with the ARN the deployed roles grant writes on', () => {
    // Act
    const release = resourceDoc('elastic-ip').actions[0];
    const retention = resourceDoc('log-group').actions[0];
    // Assess
    expect(release).toMatchObject({ id: 'release-address', undo: 'best-effort', defaultMode: 'approval' });
    expect(release.permissions.find((p) => p.action === 'ec2:ReleaseAddress')).toEqual({ action: 'ec2:ReleaseAddress', access: 'write', resource: 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:elastic-ip/*' });
    expect(retention.permissions.find((p) => p.action === 'logs:ListTagsForResource')).toEqual({ action: 'logs:ListTagsForResource', access: 'read', resource: '*' });
    expect(resourceDoc('load-balancer').actions).toEqual([]);
  });

  it('changes a page when a default changes, so a stale page cannot pass', () => {
    // Prepare
    const model = resourceDoc('nat-gateway');
    const changed = structuredClone(model);
    changed.detectors[0].options[0].default = '30';
    // Act / Assess
    expect(resourcePage(changed)).not.toBe(resourcePage(model));
    expect(resourcePage(model)).toContain('| `windowDays` | integer, 1–63 | `14` |');
  });

  it('names the valid resource types for an unknown one', () => {
    expect(() => resourceDoc('s3-buckets')).toThrow(/Unknown resource type 's3-buckets'\. Valid resource types: asg, .*s3-bucket/);
  });
});

describe('typeText', () => {
  it('spells out ranges, enums and lists, leaving out the safe-integer bounds zod adds', () => {
    expect(typeText({ type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER })).toBe('integer');
    expect(typeText({ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER })).toBe('integer, ≥ 1');
    expect(typeText({ type: 'number', maximum: 14 })).toBe('number, ≤ 14');
    expect(typeText({ type: 'string', enum: ['A', 'B'] })).toBe('one of `A`, `B`');
    expect(typeText({ type: 'array', items: { type: 'string' }, minItems: 2 })).toBe('list of string (at least 2)');
    expect(typeText({ type: 'boolean' })).toBe('boolean');
  });
});

describe('extractOptionDocs', () => {
  it('reads JSDoc through z.object, strictObject, spreads, named schemas and nested objects', () => {
    // Prepare
    const root = mkdtempSync(join(tmpdir(), 'trimtab-optdocs-'));
    mkdirSync(join(root, 'widget'));
    writeFileSync(
      join(root, 'widget', 'detectors.ts'),
      `import { z } from 'zod';
const shared = {
  /** Shared option. */
  allowShared: z.boolean().default(false),
};
const inner = z.strictObject({
  /** Inner days. */
  days: z.number().default(1),
});
const schema = z.object({
  /** Top level. */
  top: z.number(),
  nested: inner.prefault({}),
  ...shared,
});
export const a = {
  id: 'idle', resource: 'widget', title: 'x',
  options: z.object({
    ...shared,
    /** Window. */
    windowDays: z.number(),
  }),
};
export const b = { id: 'shrink', resource: 'widget', title: 'y', options: schema, undoable: 'yes', apply() {} };
`,
    );
    // Act
    const docs = extractOptionDocs(root);
    // Assess
    expect(docs).toEqual({
      'widget:action:shrink:allowShared': 'Shared option.',
      'widget:action:shrink:nested.days': 'Inner days.',
      'widget:action:shrink:top': 'Top level.',
      'widget:detector:idle:allowShared': 'Shared option.',
      'widget:detector:idle:windowDays': 'Window.',
    });
  });
});

describe('trimtab resources (terminal)', () => {
  it('lists every resource type with its detectors and actions and their undo', () => {
    const text = resourcesListText(referenceModel(), 120);
    for (const id of resourceTypes.ids()) expect(text).toContain(`${id}: `);
    expect(text).toContain('release-address (undo: best effort)');
    expect(text).toMatch(/nat-gateway: NAT gateway\n  detectors: idle-nat-gateway\n  actions: none \(report only\)/);
  });

  it('shows one resource type with every option, default, description and the write permissions', () => {
    const text = resourceDetailText(resourceDoc('log-group'), 100);
    expect(text).toContain('Detector no-retention: Log group that never expires its events');
    expect(text).toContain('  retentionDays (integer; default 30)');
    expect(text).toContain('1, 3, 5, 7, 14, 30');
    expect(text.replace(/\s+/g, ' ')).toContain('logs:PutRetentionPolicy (write, on arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:*)');
    expect(text.split('\n').every((l) => l.length <= 100)).toBe(true);
  });

  it('wraps at the width, indenting continuation lines', () => {
    expect(wrap('one two three four five six', 20, '  ')).toBe('  one two three four\n  five six');
  });
});
