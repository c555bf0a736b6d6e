/**
 * The house has no circles: the static import graph of lib/ (type-only imports included, dynamic
 * import() left out: import-graph.ts) has no cycle. A cycle makes load order decide behaviour
 * (a constant read before its module ran is undefined) and ties every file in it to every other.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph } from './import-graph.ts';

const root = process.cwd();

describe('the import graph of lib/', () => {
  it('reads real imports, type-only ones included', () => {
    // Prepare / Act
    const graph = importGraph(root);

    // Assess: a value import, a type-only import and the schema's registry import are edges
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('lib/engine/scope.ts')).toContain('lib/resources/protection.ts');
    expect(graph.get('lib/resources/ebs-volume/io-usage.ts')).toContain('lib/resources/ebs-volume/volume.ts');
    expect(graph.get('lib/policy/schema.ts')).toContain('lib/resources/registry.ts');
    expect(graph.get('lib/policy/schema.ts')).not.toContain('lib/resources/index.ts');
  });

  it('finds a cycle when there is one, naming its files (the check below is not blind)', () => {
    // Prepare
    const graph = new Map([
      ['lib/a.ts', ['lib/b.ts']],
      ['lib/b.ts', ['lib/c.ts']],
      ['lib/c.ts', ['lib/a.ts']],
      ['lib/d.ts', ['lib/a.ts']],
    ]);

    // Act
    const found = cycles(graph).map((c) => [...c].sort());

    // Assess
    expect(found).toEqual([['lib/a.ts', 'lib/b.ts', 'lib/c.ts']]);
  });

  it('has no import cycle', () => {
    // Prepare / Act
    const found = cycles(importGraph(root));

    // Assess: the message names every file of every cycle
    const described = found.map((c, i) => `cycle ${i + 1} (${c.length} files):\n  ${[...c].sort().join('\n  ')}`).join('\n');
    expect(described, `lib/ has import cycles; give what both sides share a home below them:\n${described}`).toBe('');
  });
});

describe('the policy schema without the resource modules', () => {
  it('refuses to validate with a message that says which import is missing, instead of calling every resource unknown', () => {
    // Prepare: a fresh process that loads only lib/policy/load.ts (the schema no longer loads the modules)
    const script = [
      "const { parsePolicies } = await import('./lib/policy/load.ts');",
      "try { parsePolicies('policies:\\n  - id: x\\n    resource: s3-bucket\\n    detector: {type: missing-abort-multipart-rule}\\n', 'x.yml'); console.log('parsed'); }",
      'catch (e) { console.log(e.message); }',
    ].join('\n');

    // Act
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });

    // Assess
    expect(out.trim()).toBe("No resource modules are registered, so no policy can be validated: import 'lib/resources/index.ts' before loading policies.");
  }, 150_000);
});
