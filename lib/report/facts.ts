/**
 * Evidence values as labelled facts a person reads, not raw JSON: `{"vcpu":8,"memoryGib":16}`
 * becomes `vcpu 8, memoryGib 16`, a list its items joined by commas, nested objects in
 * parentheses. Used by the HTML report and the approval email and page.
 */
export function factText(value: unknown, depth = 0): string {
  if (value === null || value === undefined) return 'none';
  if (Array.isArray(value)) return value.length ? value.map((v) => factText(v, depth + 1)).join(', ') : 'none';
  if (typeof value === 'object') {
    // Deeper than this reads no better as facts: say it compactly.
    if (depth > 2) return JSON.stringify(value);
    const pairs = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k} ${factText(v, depth + 1)}`);
    const text = pairs.length ? pairs.join(', ') : 'none';
    return depth > 0 ? `(${text})` : text;
  }
  return String(value);
}
