/**
 * EventBridge event-pattern matching, for the operators trimtab's policies use. The handler
 * re-checks every policy's pattern against the event it got, because one event may reach the
 * function through several rules, and a policy must run only for events its own pattern takes.
 *
 * Semantics (as EventBridge documents them):
 * - every key in the pattern must match; keys the pattern does not name are ignored;
 * - a nested object descends into the event; an array is a leaf: the value matches when it
 *   matches ANY entry; when the event's value is an array, any element may match;
 * - leaf entries: literals (string, number, boolean, null: exact, case-sensitive), and
 *   { prefix }, { suffix }, { equals-ignore-case }, { wildcard }, { anything-but },
 *   { exists }, { numeric: ['>', 0, '<=', 5] }.
 */

export type EventPattern = Record<string, unknown>;

const OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'exists', 'numeric'] as const;
const NUMERIC_OPS = new Set(['=', '<', '<=', '>', '>=']);

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Problems with a pattern, each naming its path (empty when the pattern is valid). */
export function patternProblems(pattern: unknown, path = ''): string[] {
  if (!isPlainObject(pattern)) return [`${path || 'the pattern'}: a pattern is an object of field → [values] or nested objects`];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(pattern)) {
    const at = path ? `${path}.${key}` : key;
    if (Array.isArray(value)) {
      if (value.length === 0) problems.push(`${at}: an empty list matches nothing`);
      for (const entry of value) problems.push(...matcherProblems(entry, at));
    } else if (isPlainObject(value)) {
      problems.push(...patternProblems(value, at));
    } else {
      problems.push(`${at}: values in a pattern are lists, e.g. ${key}: [${JSON.stringify(value)}]`);
    }
  }
  return problems;
}

function matcherProblems(entry: unknown, at: string): string[] {
  if (entry === null || ['string', 'number', 'boolean'].includes(typeof entry)) return [];
  if (!isPlainObject(entry)) return [`${at}: a list entry is a value or an operator object`];
  const keys = Object.keys(entry);
  if (keys.length !== 1) return [`${at}: an operator object has exactly one key, one of ${OPERATORS.join(', ')}`];
  const [op] = keys;
  const arg = entry[op];
  switch (op) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
    case 'wildcard':
      return typeof arg === 'string' ? [] : [`${at}: { ${op} } takes a string`];
    case 'exists':
      return typeof arg === 'boolean' ? [] : [`${at}: { exists } takes true or false`];
    case 'anything-but': {
      if (isPlainObject(arg)) {
        const [inner] = Object.keys(arg);
        return Object.keys(arg).length === 1 && ['prefix', 'suffix'].includes(inner) && typeof arg[inner] === 'string'
          ? []
          : [`${at}: { anything-but: { … } } takes { prefix: '…' } or { suffix: '…' }`];
      }
      const values = Array.isArray(arg) ? arg : [arg];
      return values.every((v) => typeof v === 'string' || typeof v === 'number') ? [] : [`${at}: { anything-but } takes a value, a list of values, or { prefix }`];
    }
    case 'numeric': {
      if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0) return [`${at}: { numeric } takes [op, number, …], e.g. ['>', 0, '<=', 5]`];
      for (let i = 0; i < arg.length; i += 2) {
        if (!NUMERIC_OPS.has(arg[i] as string) || typeof arg[i + 1] !== 'number') {
          return [`${at}: { numeric } pairs are an operator (${[...NUMERIC_OPS].join(' ')}) and a number; got ${JSON.stringify(arg.slice(i, i + 2))}`];
        }
      }
      return [];
    }
    default:
      return [`${at}: unknown operator '${op}'. trimtab matches: ${OPERATORS.join(', ')}`];
  }
}

/** Does the event match the pattern? (Validate patterns first: unknown operators never match.) */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isPlainObject(event)) return false;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) return matchesLeaf(expected, actual, key in event);
    if (isPlainObject(expected)) return isPlainObject(actual) && matchesPattern(expected, actual);
    return false;
  });
}

function matchesLeaf(matchers: unknown[], actual: unknown, present: boolean): boolean {
  // `exists` looks at the field itself, not at each element of an array value.
  const values = Array.isArray(actual) ? actual : [actual];
  return matchers.some((matcher) => {
    if (isPlainObject(matcher) && 'exists' in matcher) return matcher.exists === (present && actual !== undefined && !isPlainObject(actual));
    if (!present) return false;
    return values.some((value) => matchesValue(matcher, value));
  });
}

function matchesValue(matcher: unknown, value: unknown): boolean {
  if (!isPlainObject(matcher)) return matcher === value;
  const [op] = Object.keys(matcher);
  const arg = matcher[op];
  switch (op) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(arg as string);
    case 'suffix':
      return typeof value === 'string' && value.endsWith(arg as string);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === (arg as string).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcardRegex(arg as string).test(value);
    case 'anything-but': {
      if (value === undefined || value === null || isPlainObject(value)) return false;
      if (isPlainObject(arg)) {
        if ('prefix' in arg) return typeof value === 'string' && !value.startsWith(arg.prefix as string);
        if ('suffix' in arg) return typeof value === 'string' && !value.endsWith(arg.suffix as string);
        return false;
      }
      return !(Array.isArray(arg) ? arg : [arg]).includes(value);
    }
    case 'numeric': {
      if (typeof value !== 'number') return false;
      const pairs = arg as [string, number, ...unknown[]];
      for (let i = 0; i < pairs.length; i += 2) {
        const bound = pairs[i + 1] as number;
        const ok = { '=': value === bound, '<': value < bound, '<=': value <= bound, '>': value > bound, '>=': value >= bound }[pairs[i] as '='];
        if (!ok) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

const wildcardCache = new Map<string, RegExp>();
function wildcardRegex(glob: string): RegExp {
  let regex = wildcardCache.get(glob);
  if (!regex) {
    regex = new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
    wildcardCache.set(glob, regex);
  }
  return regex;
}
