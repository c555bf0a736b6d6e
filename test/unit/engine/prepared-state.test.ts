/**
 * What a module's prepare() read, kept in a split unit's saved state (ResourceType.savePrepared /
 * restorePrepared, issue 29 §1): the EBS snapshot module's preparation survives the JSON lines of
 * the checkpoint intact, and a saved shape the module did not write is refused, naming the field.
 */
import { describe, expect, it } from 'vitest';
import { stateLines, statesFromLines } from '../../../lib/engine/checkpoint.ts';
import { PREPARED_STATE_KEY } from '../../../lib/engine/run.ts';
import type { RegionContext } from '../../../lib/engine/types.ts';
import { ebsSnapshotResource, type EbsPrepared } from '../../../lib/resources/ebs-snapshot/resource.ts';

const ctx = { region: 'us-east-1', log: () => {} } as unknown as RegionContext;

function prepared(volumes: number): EbsPrepared {
  return {
    amiRefs: new Map([['snap-1', [{ imageId: 'ami-1', name: 'web', state: 'available', deprecated: false }]], ['snap-2', [{ imageId: 'ami-2', state: 'disabled', deprecated: true }]]]),
    volumes: new Map(Array.from({ length: volumes }, (_, i) => [`vol-${i}`, i % 2 ? 'in-use' : 'available'] as [string, string])),
    publicSnapshots: new Set(['snap-3']),
    publicConfirmed: new Map([['snap-3', true]]),
    recycleBin: { rules: [{ id: 'rule-1', retentionDays: 7, resourceTags: [], excludeTags: [], status: 'available' }] },
    counted: { listed: 5000, marked: 1 },
  };
}

describe('a split unit keeps what prepare() read', () => {
  it('gives back the EBS snapshot preparation exactly, through the checkpoint\'s JSON lines, 5,000 volumes cut into lines', () => {
    // Prepare
    const before = prepared(5000);

    // Act
    const lines = [...stateLines({ [PREPARED_STATE_KEY]: ebsSnapshotResource.savePrepared!(before) })];
    const after = ebsSnapshotResource.restorePrepared!(ctx, statesFromLines(lines.join(''))[PREPARED_STATE_KEY] as Record<string, unknown>);

    // Assess: 2,000 volumes a line (3 lines) and every field as it was.
    expect(lines.filter((l) => l.includes('"k":"volumes"'))).toHaveLength(3);
    expect(after).toEqual(before);
  });

  it('refuses a saved preparation without its volumes, naming the field', () => {
    // Prepare
    const { volumes: _volumes, ...saved } = ebsSnapshotResource.savePrepared!(prepared(2));

    // Act
    const restore = () => ebsSnapshotResource.restorePrepared!(ctx, saved);

    // Assess
    expect(restore).toThrow("The saved ebs-snapshot preparation has no valid 'volumes' (pairs of an id and a value); the unit was not resumed.");
  });
});
