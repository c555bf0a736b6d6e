import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../../../vitest.config.ts';

/** Every test file under a folder, relative to the repository. */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return testFiles(path);
    return e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Calls that add to the process-wide registries (or replace modules): they outlive the file in a shared module graph. */
const REGISTERS = /resourceTypes\.register\(|registerRemediator\(|registerDetector\(|from '[./]*synthetic\.ts'|vi\.mock\(/;

describe('the shared-registries test project', () => {
  it('runs no file that registers into the registries or mocks modules: each such file is in the isolated project', () => {
    // Prepare
    const projects = (config as { test: { projects: { test: { name: string; include?: string[]; exclude?: string[] } }[] } }).test.projects;
    const isolated = new Set(projects.find((p) => p.test.name === 'isolated')!.test.include);
    const files = ['test/unit', 'test/integration', 'test/security'].flatMap(testFiles);
    // Act
    const registering = files.filter((f) => REGISTERS.test(readFileSync(f, 'utf8')));
    // Assess
    expect(registering.length).toBeGreaterThan(5);
    expect(registering.filter((f) => !isolated.has(f) && !f.endsWith('shared-project.test.ts'))).toEqual([]);
  });
});
