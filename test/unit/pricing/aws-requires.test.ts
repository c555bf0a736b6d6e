import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { awsRequires, PRICING_ELEMENTS } from '../../../lib/pricing/aws-requires.ts';
import { awsRequiresPages } from '../../../lib/reference/aws-requires-pages.ts';

describe('the price lookup\'s "What AWS requires" rows (docs/prices.md)', () => {
  it('are rendered into docs/prices.md (regenerate: npm run docs:reference)', () => {
    // Act
    const page = awsRequiresPages()['docs/prices.md'];

    // Assess
    expect(page).toContain('| `pricing:GetProducts` |');
    expect(readFileSync('docs/prices.md', 'utf8')).toBe(page);
  });

  it('each name a source, a lookup element and a test that exists', () => {
    // Act
    const problems: string[] = [];
    for (const r of awsRequires) {
      const where = `${r.operation} "${r.rule.slice(0, 40)}"`;
      if (!r.source.trim()) problems.push(`${where}: no source`);
      if (!r.elements.length || r.elements.some((e) => !PRICING_ELEMENTS.includes(e))) problems.push(`${where}: elements ${r.elements.join(',')}`);
      if (!r.test && !/^not enforced/.test(r.sandbox)) problems.push(`${where}: names no test`);
      if (r.test && (!existsSync(r.test.file) || !readFileSync(r.test.file, 'utf8').includes(r.test.name))) problems.push(`${where}: no test "${r.test.name}" in ${r.test.file}`);
    }

    // Assess
    expect(awsRequires.length).toBe(26);
    expect(problems).toEqual([]);
  });
});
