import { GetRuleCommand, RbinClient } from '@aws-sdk/client-rbin';
import { describe, expect, it } from 'vitest';
import { coverageFor, getRule, tagsAtDelete, type RecycleBinRule } from '../../../../lib/resources/ebs-snapshot/recycle-bin.ts';

const rule = (over: Partial<RecycleBinRule>): RecycleBinRule => ({ id: 'r', retentionDays: 7, resourceTags: [], excludeTags: [], status: 'available', ...over });
const TRIMTAB_TAG = { ResourceTagKey: 'trimtab:deleted-by', ResourceTagValue: 'trimtab' };

describe('coverageFor', () => {
  it('covers through a region-level rule unless the snapshot carries one of its exclusion tags', () => {
    // Prepare
    const rules = { rules: [rule({ id: 'region', retentionDays: 14, excludeTags: [{ ResourceTagKey: 'keep-out' }, { ResourceTagKey: 'team', ResourceTagValue: 'data' }] })] };
    // Act + Assess
    expect(coverageFor(rules, tagsAtDelete({ team: 'web' }))).toEqual({ covered: true, kind: 'region', ruleId: 'region', retentionDays: 14 });
    expect(coverageFor(rules, tagsAtDelete({ team: 'data' }))).toEqual({ covered: false, reason: 'region-level rule region excludes snapshots tagged team=data' });
    // An exclusion tag without a value excludes any value.
    expect(coverageFor(rules, tagsAtDelete({ 'keep-out': 'whatever' })).covered).toBe(false);
  });

  it('covers through a tag-level rule only when the snapshot carries one of its tags (trimtab adds its own before deleting)', () => {
    const rules = { rules: [rule({ id: 'tagged', retentionDays: 30, resourceTags: [TRIMTAB_TAG] }), rule({ id: 'other', retentionDays: 90, resourceTags: [{ ResourceTagKey: 'backup', ResourceTagValue: 'yes' }] })] };
    expect(coverageFor(rules, tagsAtDelete({}))).toMatchObject({ covered: true, kind: 'tag', ruleId: 'tagged', retentionDays: 30 });
    expect(coverageFor(rules, {})).toEqual({ covered: false });
  });

  it('takes the longest retention of the rules that match, and names its lock state', () => {
    const rules = { rules: [rule({ id: 'short', retentionDays: 3, resourceTags: [TRIMTAB_TAG] }), rule({ id: 'long', retentionDays: 60, lockState: 'locked' })] };
    expect(coverageFor(rules, tagsAtDelete({}))).toEqual({ covered: true, kind: 'region', ruleId: 'long', retentionDays: 60, lockState: 'locked' });
  });

  it('does not count a pending rule, and reports unreadable rules as unknown', () => {
    expect(coverageFor({ rules: [rule({ id: 'new', status: 'pending' })] }, tagsAtDelete({}))).toEqual({ covered: false, reason: "rule new is 'pending' and retains nothing yet" });
    expect(coverageFor({ rules: [], unknown: 'AccessDeniedException: no' }, {})).toEqual({ covered: false, unknown: 'AccessDeniedException: no' });
  });
});

describe('getRule', () => {
  it('reads ExcludeResourceTags from the raw GetRule answer, which this SDK version does not parse', async () => {
    // Prepare: a transport that answers with AWS's JSON body (Recycle Bin API reference, GetRule response syntax).
    const body = JSON.stringify({
      Identifier: 'abcdefghijk',
      ResourceType: 'EBS_SNAPSHOT',
      RetentionPeriod: { RetentionPeriodUnit: 'DAYS', RetentionPeriodValue: 14 },
      ExcludeResourceTags: [{ ResourceTagKey: 'team', ResourceTagValue: 'data' }],
      Status: 'available',
      LockState: 'locked',
      RuleArn: 'arn:aws:rbin:us-east-1:123456789012:rule/abcdefghijk',
    });
    const requestHandler = { handle: async () => ({ response: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode(body) } }) };
    const rbin = new RbinClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, requestHandler: requestHandler as never });
    // Act
    const plain = (await rbin.send(new GetRuleCommand({ Identifier: 'abcdefghijk' }))) as { ExcludeResourceTags?: unknown };
    const out = await getRule(rbin, 'abcdefghijk');
    // Assess: the SDK's parser drops the member; trimtab recovers it and the SDK parsed the rest.
    expect(plain.ExcludeResourceTags).toBeUndefined();
    expect(out.Status).toBe('available');
    expect(out.RetentionPeriod).toEqual({ RetentionPeriodUnit: 'DAYS', RetentionPeriodValue: 14 });
    expect(out.ExcludeResourceTags).toEqual([{ ResourceTagKey: 'team', ResourceTagValue: 'data' }]);
  });
});
