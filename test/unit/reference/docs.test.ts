import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../lib/cli/main.ts';

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) markdownFiles(path, out);
    else if (entry.name.endsWith('.md')) out.push(path);
  }
  return out;
}

const PAGES = ['README.md', ...markdownFiles('docs')];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (line.trimStart().startsWith('```')) fence = !fence;
    const m = !fence && /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const base = m[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

describe('the docs', () => {
  it('link only to files and headings that exist', () => {
    // Act
    const broken: string[] = [];
    for (const page of PAGES) {
      const text = readFileSync(page, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const [, target, anchor] of text.matchAll(/\]\(([^)#\s]*)(?:#([^)\s]+))?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue; // http(s), mailto
        const file = target ? normalize(join(dirname(page), target)) : page;
        if (!existsSync(file)) broken.push(`${page} → ${target}`);
        else if (anchor && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) broken.push(`${page} → ${target}#${anchor}`);
      }
    }
    // Assess
    expect(broken).toEqual([]);
  });

  it('name only trimtab commands that exist', () => {
    // Prepare
    const program = buildProgram();
    const commands = new Map(program.commands.map((c) => [c.name(), new Set(c.commands.map((s) => s.name()))]));
    // Act
    const unknown: string[] = [];
    for (const page of PAGES) {
      for (const [, name, sub] of readFileSync(page, 'utf8').matchAll(/(?:npx |`)trimtab ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?/g)) {
        if (!commands.has(name)) unknown.push(`${page}: trimtab ${name}`);
        else if (sub && commands.get(name)!.size && !commands.get(name)!.has(sub) && !['list'].includes(sub)) unknown.push(`${page}: trimtab ${name} ${sub}`);
      }
    }
    // Assess
    expect(unknown).toEqual([]);
  });

  it('keep the README short: the tour, the resource table and links', () => {
    expect(readFileSync('README.md', 'utf8').split('\n').length).toBeLessThanOrEqual(300);
  });
});

describe('anchors', () => {
  it('follows GitHub: punctuation dropped, spaces to hyphens, repeats numbered', () => {
    expect([...anchors('# Reports: `--output html` and `--output csv`\n## Tests\n## Tests\n```\n# not a heading\n```')]).toEqual(['reports---output-html-and---output-csv', 'tests', 'tests-1']);
  });
});
