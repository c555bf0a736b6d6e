import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { awsRequires, OWNERSHIP_ELEMENTS } from '../../../lib/ownership/aws-requires.ts';

describe('the ownership "What AWS requires" rows', () => {
  it('each name a source, a known ownership element, and a test that exists (or say why the sandbox does not enforce them)', () => {
    // Act
    const problems: string[] = [];
    for (const r of awsRequires) {
      const where = `${r.operation} "${r.rule.slice(0, 40)}"`;
      if (!r.source.trim()) problems.push(`${where}: no source`);
      if (!r.elements.length) problems.push(`${where}: names no element`);
      for (const e of r.elements) if (!(OWNERSHIP_ELEMENTS as readonly string[]).includes(e)) problems.push(`${where}: unknown element ${e}`);
      if (!r.test && !/^not enforced/.test(r.sandbox)) problems.push(`${where}: enforced but names no test`);
      if (r.test && !(existsSync(r.test.file) && readFileSync(r.test.file, 'utf8').includes(r.test.name))) problems.push(`${where}: no test "${r.test.name}" in ${r.test.file}`);
    }
    // Assess
    expect(awsRequires.length).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });

  it('cover every CloudFormation and EKS operation lib/ownership sends', () => {
    // Prepare
    const sent = new Set<string>();
    for (const file of ['lib/ownership/cloudformation.ts', 'lib/ownership/via-owner.ts', 'lib/ownership/hook.ts', 'lib/ownership/beanstalk.ts', 'lib/ownership/terraform-state.ts']) {
      for (const m of readFileSync(file, 'utf8').matchAll(/new (\w+)Command\(|paginate(\w+)\(\{/g)) sent.add(m[1] ?? m[2]);
    }
    // Act
    const covered = new Set(awsRequires.map((r) => r.operation.split(':')[1]));
    // Assess
    expect([...sent].sort()).toEqual(['CreateChangeSet', 'DeleteChangeSet', 'DescribeChangeSet', 'DescribeConfigurationSettings', 'DescribeEnvironmentResources', 'DescribeEnvironments', 'DescribeNodegroup', 'DescribeStackResources', 'DescribeStacks', 'DescribeUpdate', 'DetectStackResourceDrift', 'ExecuteChangeSet', 'GetObject', 'GetTemplate', 'ListStackResources', 'ListStacks', 'UpdateEnvironment', 'UpdateNodegroupConfig']);
    expect([...sent].filter((op) => !covered.has(op))).toEqual([]);
  });
});
