import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SHARED_ELEMENTS, awsRequires } from '../../../lib/aws/aws-requires.ts';
import { awsRequiresPages } from '../../../lib/reference/aws-requires-pages.ts';

describe('the shared calls\' "What AWS requires" rows (docs/architecture.md)', () => {
  it('are rendered into docs/architecture.md (regenerate: npm run docs:reference)', () => {
    // Act
    const page = awsRequiresPages()['docs/architecture.md'];

    // Assess
    expect(page).toContain('| `states:CreateStateMachine` |');
    expect(readFileSync('docs/architecture.md', 'utf8')).toBe(page);
  });

  it('each name a source, a shared element and a test that exists', () => {
    // Act
    const problems: string[] = [];
    for (const r of awsRequires) {
      const where = `${r.operation} "${r.rule.slice(0, 40)}"`;
      if (!r.source.trim()) problems.push(`${where}: no source`);
      if (!r.elements.length || r.elements.some((e) => !SHARED_ELEMENTS.includes(e))) problems.push(`${where}: elements ${r.elements.join(',')}`);
      if (!r.test) problems.push(`${where}: names no test`);
      if (r.test && (!existsSync(r.test.file) || !readFileSync(r.test.file, 'utf8').replace(/\\'/g, "'").includes(r.test.name))) problems.push(`${where}: no test "${r.test.name}" in ${r.test.file}`);
    }

    // Assess: every shared element has a row
    expect(awsRequires.length).toBe(8);
    expect(new Set(awsRequires.flatMap((r) => r.elements))).toEqual(new Set(SHARED_ELEMENTS));
    expect(problems).toEqual([]);
  });
});
