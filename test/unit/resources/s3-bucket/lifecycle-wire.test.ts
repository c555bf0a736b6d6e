/**
 * Lifecycle rules as the real S3 XML parser returns them: members in the parser's order
 * (Status before ID), empty elements as {} — an unchanged trimtab rule must still compare equal.
 */
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { HttpResponse } from '@smithy/protocol-http';
import { describe, expect, it } from 'vitest';
import { canonicalLifecycle, coverage, ruleFor, sameLifecycle, type RuleOptions } from '../../../../lib/resources/s3-bucket/lifecycle.ts';
import { readLifecycle } from '../../../../lib/resources/s3-bucket/resource.ts';

const OPTIONS: RuleOptions = {
  abortIncompleteMultipartUploadDays: 7,
  noncurrentVersionExpirationDays: 90,
  transition: { storageClass: 'INTELLIGENT_TIERING', afterDays: 30, minObjectSizeBytes: 131072 },
};

/** An S3 client whose every answer is this GetBucketLifecycleConfiguration body, parsed by the SDK's own deserializer. */
function s3Answering(xml: string): S3Client {
  return new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestHandler: {
      handle: async () => ({
        response: new HttpResponse({
          statusCode: 200,
          headers: { 'content-type': 'application/xml', 'x-amz-transition-default-minimum-object-size': 'all_storage_classes_128K' },
          body: Readable.from([Buffer.from(xml)]),
        }),
      }),
    } as never,
  });
}

// As S3 sends it: one compact line after the declaration; element order as in the S3 API reference examples.
const BODY =
  '<?xml version="1.0" encoding="UTF-8"?>\n<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  '<Rule><ID>trimtab-abort-incomplete-multipart-uploads</ID><Filter></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>' +
  '<Rule><ID>trimtab-transition-current-versions</ID><Filter><ObjectSizeGreaterThan>131072</ObjectSizeGreaterThan></Filter><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>INTELLIGENT_TIERING</StorageClass></Transition></Rule>' +
  '<Rule><ID>trimtab-expire-noncurrent-versions</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>90</NoncurrentDays></NoncurrentVersionExpiration></Rule>' +
  '</LifecycleConfiguration>';

describe('lifecycle rules read back through the S3 parser', () => {
  it('classes each unchanged trimtab rule as the same, not as an update', async () => {
    // Prepare
    const config = await readLifecycle(s3Answering(BODY), 'acme-web-assets');
    const rules = config!.Rules;

    // Act
    const abort = coverage(rules, ruleFor('abort-incomplete-uploads', OPTIONS), 'abort-incomplete-uploads');
    const transition = coverage(rules, ruleFor('transition-current-versions', OPTIONS), 'transition-current-versions');
    const noncurrent = coverage(rules, ruleFor('expire-noncurrent-versions', OPTIONS), 'expire-noncurrent-versions');

    // Assess
    expect(Object.keys(rules[0])[0]).toBe('Status'); // the parser's order, not the order trimtab wrote
    expect(abort).toEqual({ state: 'same', by: 'trimtab-abort-incomplete-multipart-uploads' });
    expect(transition).toEqual({ state: 'same', by: 'trimtab-transition-current-versions' });
    expect(noncurrent).toEqual({ state: 'same', by: 'trimtab-expire-noncurrent-versions' });
  });

  it('still classes a changed trimtab rule as an update', async () => {
    const rules = (await readLifecycle(s3Answering(BODY.replace('<DaysAfterInitiation>7<', '<DaysAfterInitiation>3<')), 'b'))!.Rules;

    expect(coverage(rules, ruleFor('abort-incomplete-uploads', OPTIONS), 'abort-incomplete-uploads')).toEqual({ state: 'update' });
  });
});

describe('canonicalLifecycle', () => {
  it('sorts keys, drops absent and empty members and an empty prefix, and writes dates as ISO strings', () => {
    const parsed = { Status: 'Enabled', ID: 'r', Filter: { Prefix: '' }, Transitions: [], Expiration: { Date: new Date('2027-01-01T00:00:00Z') } };
    const recorded = { ID: 'r', Status: 'Enabled', Expiration: { Date: '2027-01-01T00:00:00.000Z' }, NoncurrentVersionTransitions: undefined };

    expect(canonicalLifecycle(parsed)).toEqual({ Expiration: { Date: '2027-01-01T00:00:00.000Z' }, ID: 'r', Status: 'Enabled' });
    expect(sameLifecycle(parsed, recorded)).toBe(true);
  });

  it('keeps trailing spaces and real differences', () => {
    expect(sameLifecycle({ ID: 'MPU Rule ', Filter: { Prefix: 'logs/' } }, { ID: 'MPU Rule', Filter: { Prefix: 'logs/' } })).toBe(false);
    expect(sameLifecycle({ Filter: { Prefix: 'a' } }, { Filter: {} })).toBe(false);
  });
});
