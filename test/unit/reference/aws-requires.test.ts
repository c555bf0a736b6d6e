import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { awsRequiresPages } from '../../../lib/reference/aws-requires-pages.ts';
import { awsRequiresSection, withAwsRequiresSection, type AwsRequirement } from '../../../lib/resources/aws-requires.ts';
import { awsRequiresByResource } from '../../../lib/resources/aws-requires-index.ts';
import { detectors, remediators, resourceTypes } from '../../../lib/resources/index.ts';

const row: AwsRequirement = {
  operation: 'ec2:ModifyVolume',
  elements: ['modify-to-gp3'],
  rule: 'a new modification only | after the previous one is completed',
  awsAnswers: 'IncorrectModificationState (400)',
  source: 'client-ec2 ModifyVolumeCommand.d.ts',
  trimtabDoes: 'reads DescribeVolumesModifications first',
  sandbox: 'lib/sandbox/services/ec2-volumes.ts',
  test: { file: 'test/x.test.ts', name: 'refuses while optimizing' },
};

describe('the "What AWS requires" section', () => {
  it('renders one escaped row per requirement between the markers', () => {
    // Act
    const section = awsRequiresSection([row]);
    // Assess
    const rows = section.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toEqual(['| `ec2:ModifyVolume` | a new modification only \\| after the previous one is completed | IncorrectModificationState (400) | client-ec2 ModifyVolumeCommand.d.ts | reads DescribeVolumesModifications first | lib/sandbox/services/ec2-volumes.ts; `test/x.test.ts` "refuses while optimizing" | not yet reviewed |']);
  });

  it('replaces the old section in place and appends a new one above the back-link', () => {
    // Prepare
    const page = '# Title\n\ntext\n\n---\n[← docs index](../README.md)\n';
    // Act
    const once = withAwsRequiresSection(page, [row]);
    const twice = withAwsRequiresSection(once, [{ ...row, rule: 'changed' }]);
    // Assess
    expect(once.indexOf('## What AWS requires')).toBeLessThan(once.indexOf('\n---\n'));
    expect(twice.match(/## What AWS requires/g)).toHaveLength(1);
    expect(twice).toContain('| changed |');
    expect(twice.endsWith('[← docs index](../README.md)\n')).toBe(true);
  });
});

describe('every module\'s "What AWS requires" rows', () => {
  const all = Object.entries(awsRequiresByResource).flatMap(([type, rows]) => rows.map((r) => ({ type, ...r })));

  it('cover exactly the registered resource types', () => {
    expect(Object.keys(awsRequiresByResource).sort()).toEqual(resourceTypes.ids());
  });

  it('are rendered into docs/resources (regenerate: npm run docs:reference)', () => {
    for (const [file, text] of Object.entries(awsRequiresPages())) expect(readFileSync(file, 'utf8'), `${file} is stale: run npm run docs:reference`).toBe(text);
  });

  it('cover every action of every module, and every module with a detector that reads AWS', () => {
    const uncovered: string[] = [];
    for (const type of resourceTypes.ids()) {
      const named = new Set(awsRequiresByResource[type].flatMap((r) => r.elements));
      for (const id of remediators(type).ids()) if (!named.has(id)) uncovered.push(`${type} ${id}`);
      if (!awsRequiresByResource[type].length) uncovered.push(`${type} (no rows at all)`);
    }
    expect(uncovered).toEqual([]);
  });

  it('each name a source, a real element of their module, and a test that exists', () => {
    const problems: string[] = [];
    for (const r of all) {
      const where = `${r.type} ${r.operation} "${r.rule.slice(0, 40)}"`;
      if (!r.source.trim()) problems.push(`${where}: no source (write "belief: …" when AWS documents none)`);
      if (!r.elements.length) problems.push(`${where}: names no detector or action`);
      for (const e of r.elements) if (!detectors(r.type).has(e) && !remediators(r.type).has(e)) problems.push(`${where}: unknown element ${e}`);
      if (!r.test && !/^not enforced/.test(r.sandbox)) problems.push(`${where}: enforced by the sandbox but names no test`);
      if (r.test) {
        if (!existsSync(r.test.file)) problems.push(`${where}: test file ${r.test.file} does not exist`);
        else if (!readFileSync(r.test.file, 'utf8').includes(r.test.name)) problems.push(`${where}: no test named "${r.test.name}" in ${r.test.file}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
