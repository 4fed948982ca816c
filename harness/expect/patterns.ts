// Log patterns with the kernel selftests' __msg rules (tools/testing/selftests/bpf/
// test_loader.c): plain text is a substring, {{...}} parts are regular expressions
// (JS RegExp syntax standing in for POSIX ERE), and a list is matched in order, each
// pattern searched from the end of the previous match.
//
// Deliberate difference: a pattern matches within one line (like REG_NEWLINE, but
// also for plain text and for [^x] or \s), unless the pattern itself contains a
// newline; then it is matched against the rest of the log as a whole. ^ and $ mean
// the start and end of a log line, never "right after the previous match".

import type { Pattern } from '../scenario/types.js';

export interface CompiledPattern {
  source: Pattern;
  regex: RegExp;
  multiline: boolean;
}

const ESCAPE = /[.*+?^${}()|[\]\\/]/g;

export function compilePattern(source: Pattern): CompiledPattern {
  let body = '';
  let rest = source;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) break;
    const close = rest.indexOf('}}', open + 2);
    if (close < 0) break; // an unclosed {{ is plain text, as in test_loader.c
    body += rest.slice(0, open).replace(ESCAPE, '\\$&') + `(?:${rest.slice(open + 2, close)})`;
    rest = rest.slice(close + 2);
  }
  body += rest.replace(ESCAPE, '\\$&');
  let regex: RegExp;
  try {
    regex = new RegExp(body, 'gm');
  } catch (e) {
    throw new Error(`bad pattern ${JSON.stringify(source)}: ${(e as Error).message}`);
  }
  return { source, regex, multiline: source.includes('\n') };
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
  if (p.multiline) {
    regex.lastIndex = from;
    const m = regex.exec(idx.text);
    return m ? { start: m.index, end: m.index + m[0].length, line: idx.lineOf(m.index) } : undefined;
  }
  for (let line = idx.lineOf(from); line <= idx.starts.length; line++) {
    const start = idx.starts[line - 1] ?? 0;
    const text = idx.text.slice(start, idx.lineEnd(line));
    regex.lastIndex = Math.max(0, from - start);
    const m = regex.exec(text);
    if (m) return { start: start + m.index, end: start + m.index + m[0].length, line };
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
