import { describe, expect, it } from 'vitest';
import { sanitizePriceFile } from '../../../lib/cli/prices.ts';

describe('the price file is input (lib/cli/prices.ts sanitizePriceFile)', () => {
  it('keeps only finite, non-negative prices of well-named regions with dates', () => {
    // Prepare: what another tool or a person might have written.
    const raw = {
      version: 1,
      regions: {
        'eu-west-1': { publicationDate: '2026-11-30T00:00:00Z', fetchedAt: '2026-12-01T00:00:00Z', prices: { 'ec2OnDemandHourly.m5.large': 0.107, natGatewayHour: -1, albHour: 'free', ebsGp3GbMonth: Number.POSITIVE_INFINITY } },
        '../../etc': { publicationDate: 'x', fetchedAt: '2026-12-01T00:00:00Z', prices: { natGatewayHour: 0 } },
        'us-east-1': { publicationDate: '2026-11-30T00:00:00Z', fetchedAt: 'yesterday', prices: { natGatewayHour: 0.045 } },
      },
    };

    // Act
    const file = sanitizePriceFile(raw);

    // Assess
    expect(file).toEqual({ version: 1, source: 'AWS Price List Query API (GetProducts)', regions: { 'eu-west-1': { publicationDate: '2026-11-30T00:00:00Z', fetchedAt: '2026-12-01T00:00:00Z', prices: { 'ec2OnDemandHourly.m5.large': 0.107 } } } });
    expect(sanitizePriceFile({ version: 2, regions: {} })).toBeUndefined();
  });
});
