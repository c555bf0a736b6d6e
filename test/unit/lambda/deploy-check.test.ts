import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';

/** lib/lambda/package-plugin.cjs: `osls deploy` refuses the example approvers and SES sender; `osls package` does not check. */
const require = createRequire(import.meta.url);
const Plugin = require('../../../lib/lambda/package-plugin.cjs') as {
  new (serverless: unknown): { hooks: Record<string, () => unknown> };
  exampleAddressProblems: (policyText: string, mailFrom?: string) => string[];
  checkDeploy: (serverless: unknown, env?: Record<string, string>, readPolicy?: () => string) => string[];
};

const EXAMPLE_POLICIES = readFileSync('trimtab.yml', 'utf8');
const OWN_POLICIES = `version: 1
defaults:
  approval:
    approvers: [finops@acme.io]
policies:
  - id: ebs-unattached-volumes
    resource: ebs-volume
    detector: { type: unattached-volumes }
    mode: approval
    approval:
      approvers: [storage-team@acme.io]
`;

const serverless = (commands: string[], mailFrom = 'trimtab@example.com') => ({ processedInput: { commands, options: {} }, service: { custom: { approval: { mailFrom } } }, cli: { log: vi.fn() } });

describe('exampleAddressProblems', () => {
  it("names the packaged trimtab.yml's example approver and the default SES sender", () => {
    // Act
    const problems = Plugin.exampleAddressProblems(EXAMPLE_POLICIES, 'trimtab@example.com');

    // Assess
    expect(problems).toEqual(['trimtab.yml defaults.approval.approvers: finops@example.com', 'the SES sender trimtab@example.com (set --param="approvalMailFrom=<a verified SES identity>")']);
  });

  it("finds an example address in one policy's own approvers", () => {
    // Act
    const problems = Plugin.exampleAddressProblems(OWN_POLICIES.replace('storage-team@acme.io', 'oncall@mail.example.org'), 'trimtab@acme.io');

    // Assess
    expect(problems).toEqual(['trimtab.yml policy ebs-unattached-volumes: approval.approvers oncall@mail.example.org']);
  });

  it('passes a file with real addresses and a real sender', () => {
    expect(Plugin.exampleAddressProblems(OWN_POLICIES, 'trimtab@acme.io')).toEqual([]);
  });
});

describe('the deploy check in osls', () => {
  it('refuses `osls deploy` with the example file before anything is packaged, saying what to replace and how to override', () => {
    // Prepare
    const plugin = new Plugin(serverless(['deploy']));

    // Act / Assess
    expect(() => plugin.hooks.initialize()).toThrow(/^trimtab: refusing to deploy: this deploy still has example addresses:\n {2}- trimtab\.yml defaults\.approval\.approvers: finops@example\.com\n {2}- the SES sender trimtab@example\.com[\s\S]*TRIMTAB_DEPLOY_ALLOW_EXAMPLE=1[\s\S]*Nothing was deployed\.$/);
  });

  it('refuses `osls deploy function` too', () => {
    const plugin = new Plugin(serverless(['deploy', 'function']));

    expect(() => plugin.hooks.initialize()).toThrow(/refusing to deploy/);
  });

  it('lets `osls package` and `osls invoke local` through with the example file (the tests and CI package it)', () => {
    // Act / Assess
    for (const commands of [['package'], ['invoke', 'local'], ['deploy', 'list']]) expect(() => new Plugin(serverless(commands)).hooks.initialize()).not.toThrow();
  });

  it('deploys with a loud warning when TRIMTAB_DEPLOY_ALLOW_EXAMPLE=1', () => {
    // Prepare
    const sls = serverless(['deploy']);

    // Act
    const problems = Plugin.checkDeploy(sls, { TRIMTAB_DEPLOY_ALLOW_EXAMPLE: '1' }, () => EXAMPLE_POLICIES);

    // Assess
    expect(problems).toHaveLength(2);
    expect(sls.cli.log).toHaveBeenCalledWith(expect.stringMatching(/^trimtab: WARNING: deploying anyway \(TRIMTAB_DEPLOY_ALLOW_EXAMPLE=1\): this deploy still has example addresses/));
  });

  it('deploys without a word when the addresses are real', () => {
    // Prepare
    const sls = serverless(['deploy'], 'trimtab@acme.io');

    // Act
    const problems = Plugin.checkDeploy(sls, {}, () => OWN_POLICIES);

    // Assess
    expect(problems).toEqual([]);
    expect(sls.cli.log).not.toHaveBeenCalled();
  });
});
