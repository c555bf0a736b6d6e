import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_ELEMENTS, awsRequires } from '../../../lib/audit/aws-requires.ts';
import { awsRequiresPages } from '../../../lib/reference/aws-requires-pages.ts';

describe('the audit stores\' "What AWS requires" rows (docs/audit-and-undo.md)', () => {
  it('are rendered into docs/audit-and-undo.md (regenerate: npm run docs:reference)', () => {
    // Act
    const page = awsRequiresPages()['docs/audit-and-undo.md'];

    // Assess
    expect(page).toContain('| `dynamodb:TransactWriteItems` |');
    expect(readFileSync('docs/audit-and-undo.md', 'utf8')).toBe(page);
  });

  it('each name a source, an element of the alarm path and a test that exists, or say why the sandbox does not enforce them', () => {
    // Act
    const problems: string[] = [];
    for (const r of awsRequires) {
      const where = `${r.operation} "${r.rule.slice(0, 40)}"`;
      if (!r.source.trim()) problems.push(`${where}: no source`);
      if (!r.elements.length || r.elements.some((e) => !AUDIT_ELEMENTS.includes(e))) problems.push(`${where}: elements ${r.elements.join(',')}`);
      if (!r.test && !/^not enforced: /.test(r.sandbox)) problems.push(`${where}: names no test`);
      if (r.test && (!existsSync(r.test.file) || !readFileSync(r.test.file, 'utf8').includes(r.test.name))) problems.push(`${where}: no test "${r.test.name}" in ${r.test.file}`);
    }

    // Assess
    expect(awsRequires.length).toBe(14);
    expect(problems).toEqual([]);
  });
});
