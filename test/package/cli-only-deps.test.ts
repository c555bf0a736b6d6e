import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readZip } from '../../lib/bench/zip.ts';

const DIR = '.serverless';

describe('Lambda packages', () => {
  it('leave out the IAM client, which only the CLI (trimtab doctor) uses', () => {
    // Prepare
    const zips = readdirSync(DIR).filter((f) => f.endsWith('.zip'));
    expect(zips.length).toBeGreaterThan(0);
    for (const zip of zips) {
      // Act
      const code = readZip(join(DIR, zip))
        .filter((e) => e.name.endsWith('.cjs'))
        .map((e) => e.read().toString('utf8'))
        .join('\n');
      // Assess: the IAM client's service name and its schema namespace are absent.
      expect(code.length, zip).toBeGreaterThan(0);
      expect(code.includes('AWSIdentityManagementV20100508'), zip).toBe(false);
      expect(code.includes('com.amazonaws.iam#'), zip).toBe(false);
    }
  });
});
