import { describe, expect, it } from 'vitest';
import { factText } from '../../../lib/report/facts.ts';

describe('factText', () => {
  it('shows an object as labelled facts, a list joined by commas and nested objects in parentheses', () => {
    // Prepare
    const value = { vcpu: 8, memoryGib: 16, listeners: [{ port: 443, protocol: 'HTTPS' }], tags: [] };

    // Act
    const text = factText(value);

    // Assess
    expect(text).toBe('vcpu 8, memoryGib 16, listeners (port 443, protocol HTTPS), tags none');
  });

  it('keeps plain values as they are and says none for null', () => {
    expect([factText('io1'), factText(400), factText(true), factText(null)]).toEqual(['io1', '400', 'true', 'none']);
  });
});
