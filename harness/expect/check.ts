// Verdicts: a step's expect block against what happened. Every function returns all
// failures at once (not just the first), each one self-explanatory in a report.

import { createPatch } from 'diff';
import type { Comparison, Expect, Pattern } from '../scenario/types.js';
import { COMPARISON_MSG, holds, parseComparison } from '../scenario/comparison.js';
import type { Failure, ProgramStats, VerifierStats } from '../results/model.js';
import { errnoName } from '../bpftool/errno.js';
import { findForbidden, matchOrdered, parsePatternOnce } from './patterns.js';
import { excerpt, missingPatternDiff, tail } from './excerpt.js';

export interface LoadActual {
  loaded: boolean;
  errno?: string;
  /** The normalized log (normalizeLog), as matched and reported. */
  log: string;
  stats?: VerifierStats;
}

export interface RunActual {
  exit: number;
  stdout: string;
  stderr: string;
}

const STATS = /processed (\d+) insns(?: \(limit \d+\))?(?: max_states_per_insn \d+)?(?: total_states (\d+))?(?: peak_states (\d+))?/g;

/**
 * Stats from the verifier's "processed N insns (limit 1000000) max_states_per_insn N
 * total_states N peak_states N mark_read N" line. A log of several programs has
 * several; each stat is then the largest, so "<= N" bounds every program.
 */
export function parseStats(log: string): VerifierStats | undefined {
  let stats: VerifierStats | undefined;
  for (const m of log.matchAll(STATS)) {
    const insns = Number(m[1]);
    const states = Number(m[2] ?? 0);
    const peak = m[3] === undefined ? undefined : Number(m[3]);
    if (!stats) {
      stats = { insns, states, ...(peak === undefined ? {} : { peakStates: peak }) };
      continue;
    }
    stats.insns = Math.max(stats.insns, insns);
    stats.states = Math.max(stats.states, states);
    if (peak !== undefined) stats.peakStates = Math.max(stats.peakStates ?? 0, peak);
  }
  return stats;
}

const PROGRAM_STATS = /processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+) mark_read (\d+)/g;
const VERIFICATION_TIME = /^verification time (\d+) usec$/gm;

/** veristat's columns from one program's log: its last "processed N insns ..." line (log_level 4). */
export function programStats(log: string): ProgramStats | undefined {
  const m = [...log.matchAll(PROGRAM_STATS)].at(-1);
  if (!m) return undefined;
  return { insns: Number(m[1]), maxStatesPerInsn: Number(m[2]), states: Number(m[3]), peakStates: Number(m[4]), markRead: Number(m[5]) };
}

/** veristat's duration: the verifier's own "verification time N usec" line, when the log has one. */
export function verificationUs(log: string): number | undefined {
  const m = [...log.matchAll(VERIFICATION_TIME)].at(-1);
  return m ? Number(m[1]) : undefined;
}

/** "<= 1000", "< 5", ">= 1", "== 3", "!= 0", "3" (same as "== 3"): comparison.ts's grammar. Throws on anything else. */
export function compare(actual: number, comparison: Comparison | number): boolean {
  const c = parseComparison(comparison);
  if (!c) throw new Error(`bad comparison ${JSON.stringify(comparison)}: ${COMPARISON_MSG}`);
  return holds(c, actual);
}

/**
 * Patterns that do not parse, as failures. Scenario files are validated with the same
 * grammar, so these come from elsewhere: a kernel tree's __msg tags, which fail their
 * case as test_loader fails it.
 */
function unusable(key: string, patterns: Pattern[]): Failure[] {
  for (const [i, pattern] of patterns.entries()) {
    const p = parsePatternOnce(pattern);
    if (!p.ok) return [{ expectation: `${key}[${i}]`, message: `${key}[${i}] ${JSON.stringify(pattern)} cannot be matched: ${p.message}`, pattern }];
  }
  return [];
}

/**
 * Ordered patterns (log, stdout, stderr) against text; `key` names the list. `onNextLine`
 * as matchOrdered's; `raw` when the text was matched as the kernel printed it (selftests).
 */
export function checkPatterns(key: string, patterns: Pattern[] | undefined, text: string, opts: { onNextLine?: boolean[]; raw?: boolean } = {}): Failure[] {
  if (!patterns?.length) return [];
  const bad = unusable(key, patterns);
  if (bad.length) return bad;
  const r = matchOrdered(patterns, text, opts.onNextLine);
  if (r.ok) return [];
  const what = `${key}[${r.index}]`;
  const prev = r.matched.at(-1);
  if (r.wrongLine !== undefined) {
    return [{
      expectation: what,
      message: `${what} ${JSON.stringify(r.pattern)} matched on line ${r.wrongLine}, but it must be on line ${r.stoppedAtLine}, right after ${key}[${prev?.index}]`,
      pattern: r.pattern,
      stoppedAtLine: r.stoppedAtLine,
      matchedBefore: r.matched,
      diff: excerpt(text, r.stoppedAtLine, r.matched.map((m) => m.line)),
    }];
  }
  const where = prev ? `after ${key}[${prev.index}] matched on line ${prev.line}` : 'anywhere';
  const order = r.earlierLine !== undefined ? ` (it occurs earlier, on line ${r.earlierLine}: out of order)` : '';
  const lines = text === '' ? ' (the text is empty)' : '';
  return [{
    expectation: what,
    message: `${what} ${JSON.stringify(r.pattern)} not found ${where}${order}${lines}`,
    pattern: r.pattern,
    stoppedAtLine: r.stoppedAtLine,
    matchedBefore: r.matched,
    diff: missingPatternDiff(text, r.stoppedAtLine, r.pattern, key, opts.raw ? 'actual' : undefined),
  }];
}

export function checkForbidden(key: string, patterns: Pattern[] | undefined, text: string): Failure[] {
  if (!patterns?.length) return [];
  const bad = unusable(key, patterns);
  if (bad.length) return bad;
  return findForbidden(patterns, text).map((f) => ({
    expectation: `${key}[${f.index}]`,
    message: `${key}[${f.index}] ${JSON.stringify(f.pattern)} must not appear, but it does on line ${f.line}`,
    pattern: f.pattern,
    stoppedAtLine: f.line,
    diff: excerpt(text, f.line),
  }));
}

function checkStat(key: 'insns' | 'states', want: Comparison | undefined, stats: VerifierStats | undefined): Failure[] {
  if (want === undefined) return [];
  if (!stats) {
    return [{ expectation: key, message: `${key}: expected ${want}, but the log has no "processed N insns" line` }];
  }
  const got = stats[key];
  try {
    if (compare(got, want)) return [];
    return [{ expectation: key, message: `${key}: expected ${want}, got ${got}` }];
  } catch (e) {
    return [{ expectation: key, message: `${key}: ${(e as Error).message}` }];
  }
}

/**
 * A load step. Unset `loaded` means true, unless `errno` is set (an errno only
 * makes sense for a failed load).
 */
export function checkLoad(expect: Expect, actual: LoadActual): Failure[] {
  if (expect.skip) return [];
  const failures: Failure[] = [];
  const wantLoaded = expect.loaded ?? expect.errno === undefined;
  if (wantLoaded !== actual.loaded) {
    failures.push({
      expectation: 'loaded',
      message: wantLoaded
        ? `expected the load to succeed, but it failed${actual.errno ? ` with ${actual.errno}` : ''}`
        : 'expected the load to fail, but it succeeded',
      ...(actual.log ? { diff: tail(actual.log) } : {}),
    });
  } else if (!actual.loaded && expect.errno !== undefined) {
    const want = errnoName(expect.errno) ?? expect.errno;
    const got = actual.errno === undefined ? undefined : errnoName(actual.errno) ?? actual.errno;
    if (want !== got) {
      failures.push({
        expectation: 'errno',
        message: `errno: expected ${want}, got ${got ?? 'none (the failure named no errno)'}`,
      });
    }
  }
  failures.push(...checkPatterns('log', expect.log, actual.log));
  failures.push(...checkForbidden('not_log', expect.not_log, actual.log));
  const stats = actual.stats ?? parseStats(actual.log);
  failures.push(...checkStat('insns', expect.insns, stats), ...checkStat('states', expect.states, stats));
  return failures;
}

/** A run step. Unset `exit` means 0. Output is matched with \r removed. */
export function checkRun(expect: Expect, actual: RunActual): Failure[] {
  if (expect.skip) return [];
  const failures: Failure[] = [];
  const wantExit = expect.exit ?? 0;
  const stdout = actual.stdout.replace(/\r/g, '');
  const stderr = actual.stderr.replace(/\r/g, '');
  if (actual.exit !== wantExit) {
    const shown = stderr.trim() ? { diff: tail(stderr, 20) } : {};
    failures.push({ expectation: 'exit', message: `exit: expected ${wantExit}, got ${actual.exit}`, ...shown });
  }
  failures.push(...checkPatterns('stdout', expect.stdout, stdout));
  failures.push(...checkPatterns('stderr', expect.stderr, stderr));
  return failures;
}

/** A dmesg step: `log` is the kernel messages since the scenario began, normalized. */
export function checkDmesg(expect: Expect, log: string): Failure[] {
  if (expect.skip) return [];
  return [...checkPatterns('log', expect.log, log), ...checkForbidden('not_log', expect.not_log, log)];
}

/** log_file: the normalized log must equal the golden file; a unified diff when not. */
export function checkGolden(goldenText: string, actual: string, goldenName = 'log_file'): Failure | undefined {
  const eol = (s: string) => (s === '' || s.endsWith('\n') ? s : s + '\n');
  const want = eol(goldenText.replace(/\r\n?/g, '\n'));
  const got = eol(actual);
  if (want === got) return undefined;
  const patch = createPatch(goldenName, want, got, 'expected (golden)', 'actual', { context: 3 });
  // Drop createPatch's "Index:" and "====" lines: the ---/+++ header says it all.
  const diff = patch.split('\n').slice(2).join('\n').replace(/\n$/, '');
  const added = diff.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).length;
  const removed = diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---')).length;
  return {
    expectation: 'log_file',
    message: `the normalized log differs from ${goldenName}: ${removed} line(s) expected but missing, ${added} unexpected (--update rewrites it)`,
    diff,
  };
}
