// The comparison grammar of verifier stats (insns:, states:): an operator and a count, or a
// bare count meaning equality. The scenario schema and the matcher both parse with this, so
// whatever validates also runs, and the other way round.

export const OPERATORS = ['<=', '>=', '==', '!=', '<', '>'] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Comparison {
  /** Absent for a bare count, which means equality. */
  op?: Operator;
  count: number;
}

/** Also the JSON Schema's pattern for the string form. */
export const COMPARISON_RE = /^\s*(<=|>=|==|!=|<|>)?\s*(\d+)\s*$/;
export const COMPARISON_MSG = 'expected a comparison like "<= 1000", "< 50", ">= 3", "== 12", "!= 0" or a number';
export const COMPARISON_HINT = 'write an operator (<=, <, >=, >, ==, !=) and a count, e.g. "<= 1000", or just the count';

/** "<= 1000", " < 5 ", "!= 0", "3" or 3; undefined for anything else (counts are whole, at most 2^53-1). */
export function parseComparison(v: string | number): Comparison | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? { count: v } : undefined;
  const m = COMPARISON_RE.exec(v);
  const count = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(count)) return undefined;
  return m[1] ? { op: m[1] as Operator, count } : { count };
}

/** One spelling per comparison: "<= 1000" (one space), or "12" for a bare count. */
export function formatComparison(c: Comparison): string {
  return c.op ? `${c.op} ${c.count}` : String(c.count);
}

export function holds(c: Comparison, actual: number): boolean {
  switch (c.op) {
    case '<=': return actual <= c.count;
    case '>=': return actual >= c.count;
    case '<': return actual < c.count;
    case '>': return actual > c.count;
    case '!=': return actual !== c.count;
    default: return actual === c.count;
  }
}
