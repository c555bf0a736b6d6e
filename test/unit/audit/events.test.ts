import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { DETAIL_TYPES, EventPublisher, findingEvent, PUT_EVENTS_MAX_BYTES, putEventsEntrySize, transitionEvent } from '../../../lib/audit/events.ts';
import type { ActionRecord, Finding } from '../../../lib/engine/types.ts';

const ebMock = mockClient(EventBridgeClient);
afterEach(() => ebMock.reset());
// The suite shares one module graph per worker (vitest.config.ts): uninstall the mock so later files
// in this worker send to the sandbox again.
afterAll(() => ebMock.restore());

const resource = { type: 's3-bucket', id: 'b1', arn: 'arn:aws:s3:::b1', account: '123456789012', region: 'us-east-1', tags: {} };
const finding = (evidence: Record<string, unknown> = { uploads: 3 }): Finding => ({
  id: 'f1', policy: 'p1', detector: 'd1', mode: 'auto', status: 'actionable', reason: 'No abort rule.', evidence, resource,
  savings: { monthlyUsd: 12.345, basis: [] },
});
const record = (status: ActionRecord['status']): ActionRecord => ({
  id: 'act-1', findingId: 'f1', policy: 'p1', resource, action: 'add-lifecycle-rules', summary: 'Add a rule', params: {}, planHash: 'h', mode: 'auto', actor: 'auto', status,
  transitions: [{ status: 'planned', at: '2026-11-01T00:00:00.000Z' }, { status, at: '2026-11-01T00:00:05.000Z', detail: 'why' }],
  before: null, estimatedMonthlySavingsUsd: 12.35, undo: { supported: 'yes', how: 'Restore.' },
  ...(status === 'failed' ? { error: { name: 'AccessDenied', message: 'no' } } : {}),
});

const publisher = (busName?: string) => new EventPublisher({ clients: new AwsClients({ allowWrites: true, writePacing: false }), region: 'us-east-1', busName });

describe('trimtab events', () => {
  it('name each transition with the documented detail types', () => {
    expect(transitionEvent(record('applied')).detailType).toBe('Remediation Applied');
    expect(transitionEvent(record('failed')).detailType).toBe('Remediation Failed');
    expect(transitionEvent(record('awaiting-approval')).detailType).toBe('Approval Requested');
    expect(transitionEvent(record('undone')).detailType).toBe('Remediation Undone');
    expect(findingEvent(finding(), new Date()).detailType).toBe('Finding Detected');
    expect(transitionEvent(record('in-progress')).detailType).toBe('Remediation In Progress');
    expect(Object.keys(DETAIL_TYPES)).toHaveLength(11);
  });

  it('carry the action, resource, transition detail, error and undo command', () => {
    const event = transitionEvent(record('failed'));
    expect(event.resources).toEqual(['arn:aws:s3:::b1']);
    expect(event.time.toISOString()).toBe('2026-11-01T00:00:05.000Z');
    expect(event.detail).toMatchObject({ version: '1', actionId: 'act-1', status: 'failed', detail: 'why', error: { name: 'AccessDenied', message: 'no' }, undo: { command: 'trimtab undo act-1' } });
    expect(findingEvent(finding(), new Date('2026-11-01T00:00:00Z')).detail).toMatchObject({ estimatedMonthlySavingsUsd: 12.35, plan: null });
  });
});

describe('EventPublisher', () => {
  it('sends at most 10 entries per PutEvents call, on the configured bus', async () => {
    // Prepare
    ebMock.on(PutEventsCommand).callsFake((input) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'e' })) }));
    const events = publisher('trimtab-bus');

    // Act
    for (let i = 0; i < 23; i++) await events.add(findingEvent(finding(), new Date()));
    const report = await events.flush();

    // Assess
    expect(report).toEqual({ published: 23, failed: [] });
    expect(ebMock).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    const sizes = ebMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.length);
    expect(sizes).toEqual([10, 10, 3]);
    expect(ebMock.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0]).toMatchObject({ Source: 'trimtab', DetailType: 'Finding Detected', EventBusName: 'trimtab-bus' });
  });

  it('keeps each request under 256 KB and truncates an entry that alone would be over', async () => {
    // Prepare
    ebMock.on(PutEventsCommand).callsFake((input) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'e' })) }));
    const events = publisher();

    // Act
    for (let i = 0; i < 3; i++) await events.add(findingEvent(finding({ blob: 'x'.repeat(100_000) }), new Date()));
    await events.add(findingEvent(finding({ blob: 'y'.repeat(300_000) }), new Date()));
    await events.flush();

    // Assess
    const requests = ebMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!);
    expect(requests.map((r) => r.length)).toEqual([2, 2]);
    for (const entries of requests) expect(entries.reduce((s, e) => s + putEventsEntrySize(e), 0)).toBeLessThanOrEqual(PUT_EVENTS_MAX_BYTES);
    expect(JSON.parse(requests[1][1].Detail!)).toMatchObject({ truncated: true, findingId: 'f1' });
    expect(requests[0][0].EventBusName).toBeUndefined();
  });

  it('retries entries refused with a transient error once and reports the rest', async () => {
    // Prepare
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 2, Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }, { ErrorCode: 'InvalidArgument', ErrorMessage: 'bad' }] })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    const events = publisher();

    // Act
    for (let i = 0; i < 3; i++) await events.add(findingEvent(finding(), new Date()));
    const report = await events.flush();

    // Assess
    expect(report.published).toBe(2);
    expect(report.failed).toEqual([{ detailType: 'Finding Detected', errorCode: 'InvalidArgument', errorMessage: 'bad' }]);
    expect(ebMock).toHaveReceivedCommandTimes(PutEventsCommand, 2);
  });
});
