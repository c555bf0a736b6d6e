import { describe, expect, it } from 'vitest';
import { matchesPattern, patternProblems } from '../../../lib/triggers/pattern.ts';

const createBucket = {
  source: 'aws.s3',
  'detail-type': 'AWS API Call via CloudTrail',
  region: 'eu-west-1',
  resources: [],
  detail: { eventName: 'CreateBucket', eventSource: 's3.amazonaws.com', awsRegion: 'eu-west-1', requestParameters: { bucketName: 'acme-eu-exports' }, size: 42 },
};

describe('matchesPattern', () => {
  it('matches exact values, nested objects and any value of a list', () => {
    // Prepare
    const pattern = { source: ['aws.s3'], detail: { eventName: ['PutBucketPolicy', 'CreateBucket'] } };
    // Act + Assess
    expect(matchesPattern(pattern, createBucket)).toBe(true);
    expect(matchesPattern({ source: ['aws.ec2'] }, createBucket)).toBe(false);
    expect(matchesPattern({ detail: { eventName: ['createbucket'] } }, createBucket)).toBe(false);
  });

  it('matches when any element of an array value matches', () => {
    const event = { resources: ['arn:aws:ec2::us-east-1:snapshot/snap-1', 'arn:aws:ec2::us-east-1:volume/vol-1'] };
    expect(matchesPattern({ resources: [{ prefix: 'arn:aws:ec2::us-east-1:volume/' }] }, event)).toBe(true);
    expect(matchesPattern({ resources: [{ prefix: 'arn:aws:s3' }] }, event)).toBe(false);
  });

  it('matches prefix, suffix, equals-ignore-case and wildcard', () => {
    expect(matchesPattern({ detail: { requestParameters: { bucketName: [{ prefix: 'acme-' }] } } }, createBucket)).toBe(true);
    expect(matchesPattern({ detail: { requestParameters: { bucketName: [{ suffix: '-exports' }] } } }, createBucket)).toBe(true);
    expect(matchesPattern({ detail: { eventName: [{ 'equals-ignore-case': 'createbucket' }] } }, createBucket)).toBe(true);
    expect(matchesPattern({ detail: { requestParameters: { bucketName: [{ wildcard: 'acme-*-exports' }] } } }, createBucket)).toBe(true);
    expect(matchesPattern({ detail: { requestParameters: { bucketName: [{ wildcard: 'acme-*-logs' }] } } }, createBucket)).toBe(false);
  });

  it('matches anything-but a value, a list, or a prefix, and never a missing field', () => {
    expect(matchesPattern({ region: [{ 'anything-but': 'us-east-1' }] }, createBucket)).toBe(true);
    expect(matchesPattern({ region: [{ 'anything-but': ['eu-west-1', 'us-east-1'] }] }, createBucket)).toBe(false);
    expect(matchesPattern({ region: [{ 'anything-but': { prefix: 'eu-' } }] }, createBucket)).toBe(false);
    expect(matchesPattern({ detail: { errorCode: [{ 'anything-but': 'AccessDenied' }] } }, createBucket)).toBe(false);
  });

  it('matches exists true and false', () => {
    expect(matchesPattern({ detail: { errorCode: [{ exists: false }] } }, createBucket)).toBe(true);
    expect(matchesPattern({ detail: { errorCode: [{ exists: true }] } }, createBucket)).toBe(false);
    expect(matchesPattern({ detail: { eventName: [{ exists: true }] } }, createBucket)).toBe(true);
    expect(matchesPattern({ detail: { errorCode: [{ exists: false }] } }, { ...createBucket, detail: { ...createBucket.detail, errorCode: 'BucketAlreadyExists' } })).toBe(false);
  });

  it('matches numeric ranges, and only numbers', () => {
    expect(matchesPattern({ detail: { size: [{ numeric: ['>', 0, '<=', 42] }] } }, createBucket)).toBe(true);
    expect(matchesPattern({ detail: { size: [{ numeric: ['<', 42] }] } }, createBucket)).toBe(false);
    expect(matchesPattern({ detail: { size: [{ numeric: ['=', 42] }] } }, createBucket)).toBe(true);
    expect(matchesPattern({ detail: { eventName: [{ numeric: ['>', 0] }] } }, createBucket)).toBe(false);
  });

  it('does not match a nested pattern against a scalar, nor a non-object event', () => {
    expect(matchesPattern({ region: { name: ['eu-west-1'] } }, createBucket)).toBe(false);
    expect(matchesPattern({ source: ['aws.s3'] }, 'aws.s3')).toBe(false);
  });
});

describe('patternProblems', () => {
  it('accepts every operator the matcher knows', () => {
    const pattern = {
      source: ['aws.s3'],
      detail: { a: [{ prefix: 'x' }], b: [{ 'anything-but': { prefix: 'y' } }], c: [{ exists: false }], d: [{ numeric: ['>=', 1] }], e: [null, 1, true] },
    };
    expect(patternProblems(pattern)).toEqual([]);
  });

  it('names the path and the problem of each bad entry', () => {
    const problems = patternProblems({ source: 'aws.s3', detail: { eventName: [{ regex: '.*' }], size: [{ numeric: ['>>', 1] }], x: [] } });
    expect(problems).toEqual([
      `source: values in a pattern are lists, e.g. source: ["aws.s3"]`,
      "detail.eventName: unknown operator 'regex'. trimtab matches: prefix, suffix, equals-ignore-case, wildcard, anything-but, exists, numeric",
      'detail.size: { numeric } pairs are an operator (= < <= > >=) and a number; got [">>",1]',
      'detail.x: an empty list matches nothing',
    ]);
  });
});
