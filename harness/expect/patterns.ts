// Log patterns with the kernel selftests' __msg rules (tools/testing/selftests/bpf/
// test_loader.c): plain text is a substring, {{...}} parts are regular expressions
// (the grammar is pattern-grammar.ts's), and a list is matched in order, each pattern
// searched from the end of the previous match.
//
// Deliberate difference: a pattern matches within one line (like REG_NEWLINE, but
// also for plain text and for [^x] or \s), unless the pattern itself contains a
// newline; then it is matched against the rest of the log as a whole. ^ and $ mean
// the start and end of a log line, never "right after the previous match".

import type { Pattern } from '../scenario/types.js';
import { parsePattern, type ParsedPattern, type PatternProblem } from '../scenario/pattern-grammar.js';

export type CompiledPattern = ParsedPattern;

// The same patterns are matched step after step (and selftests' over hundreds of
// programs); each source is parsed and compiled once.
const parsed = new Map<string, ParsedPattern | PatternProblem>();
const CACHE_MAX = 10_000;

/** parsePattern, remembered. */
export function parsePatternOnce(source: Pattern): ParsedPattern | PatternProblem {
  let p = parsed.get(source);
  if (!p) {
    if (parsed.size >= CACHE_MAX) parsed.clear();
    p = parsePattern(source);
    parsed.set(source, p);
  }
  return p;
}

/** The pattern compiled (pattern-grammar.ts); throws on one that does not parse. */
export function compilePattern(source: Pattern): CompiledPattern {
  const p = parsePatternOnce(source);
  if (!p.ok) throw new Error(`bad pattern ${JSON.stringify(source)}: ${p.message}`);
  return p;
}

export interface Hit {
  start: number;
  end: number;
  /** 1-based line of the match start. */
  line: number;
}

/** Line start offsets of text, for offset -> line lookups. */
export class LineIndex {
  readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  get count(): number {
    // A trailing newline does not open another line.
    return this.text.endsWith('\n') ? this.starts.length - 1 : this.starts.length;
  }
  /** 1-based line holding offset. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
  lineEnd(line: number): number {
    const next = this.starts[line];
    return next === undefined ? this.text.length : next - 1;
  }
}

/** First match of p at or after offset `from`. */
export function search(p: CompiledPattern, idx: LineIndex, from: number): Hit | undefined {
  const { regex } = p;
  // Plain text (most patterns): a substring search; without a newline it cannot span lines.
  if (p.literal !== undefined) {
    const at = idx.text.indexOf(p.literal, from);
    return at >= 0 ? { start: at, end: at + p.literal.length, line: idx.lineOf(at) } : undefined;
  }
  if (p.multiline) {
    const m = regex.exec(idx.text, from);
    return m ? { start: m.index, end: m.end, line: idx.lineOf(m.index) } : undefined;
  }
  for (let line = idx.lineOf(from); line <= idx.starts.length; line++) {
    const start = idx.starts[line - 1] ?? 0;
    const text = idx.text.slice(start, idx.lineEnd(line));
    const m = regex.exec(text, Math.max(0, from - start));
    if (m) return { start: start + m.index, end: start + m.end, line };
  }
  return undefined;
}

export interface MatchedPattern {
  index: number;
  pattern: Pattern;
  line: number;
}

export type OrderedResult =
  | { ok: true; matched: MatchedPattern[] }
  | {
      ok: false;
      matched: MatchedPattern[];
      /** Index and source of the first pattern not found. */
      index: number;
      pattern: Pattern;
      /** 1-based line where the search for it began. */
      stoppedAtLine: number;
      /** Where it does occur, if only before the previous match (an order violation). */
      earlierLine?: number;
      /** Found, but not on the line right after the previous match as onNextLine asked. */
      wrongLine?: number;
    };

/**
 * `onNextLine[i]`: pattern i must match on the line right after pattern i-1's match
 * (test_loader's rule for consecutive __xlated and __jited lines).
 */
export function matchOrdered(patterns: Pattern[], text: string, onNextLine: boolean[] = []): OrderedResult {
  const idx = new LineIndex(text);
  const matched: MatchedPattern[] = [];
  let pos = 0;
  for (const [index, pattern] of patterns.entries()) {
    const compiled = compilePattern(pattern);
    const hit = search(compiled, idx, pos);
    const prevLine = matched.at(-1)?.line;
    if (hit && onNextLine[index] && prevLine !== undefined && hit.line !== prevLine + 1) {
      return { ok: false, matched, index, pattern, stoppedAtLine: prevLine + 1, wrongLine: hit.line };
    }
    if (hit) {
      matched.push({ index, pattern, line: hit.line });
      pos = hit.end;
      continue;
    }
    // Report the line the search really began on: after a match that ended at the
    // end of its line, that is the next line.
    let stoppedAtLine = idx.lineOf(pos);
    if (pos === idx.lineEnd(stoppedAtLine) && stoppedAtLine < idx.count) stoppedAtLine++;
    const earlier = pos > 0 ? search(compiled, idx, 0) : undefined;
    return {
      ok: false,
      matched,
      index,
      pattern,
      stoppedAtLine: Math.min(stoppedAtLine, Math.max(idx.count, 1)),
      ...(earlier ? { earlierLine: earlier.line } : {}),
    };
  }
  return { ok: true, matched };
}

/** Every not_log pattern that occurs anywhere, with the line of its first occurrence. */
export function findForbidden(patterns: Pattern[], text: string): MatchedPattern[] {
  const idx = new LineIndex(text);
  const found: MatchedPattern[] = [];
  for (const [index, pattern] of patterns.entries()) {
    const hit = search(compilePattern(pattern), idx, 0);
    if (hit) found.push({ index, pattern, line: hit.line });
  }
  return found;
}
