// Users' regular expressions (scenario patterns, normalize:, crash policies) run on the
// event loop over logs of any length. One that backtracks exponentially (`(a+)+$` on a
// long line) would stall it for hours, keepalives and timeouts with it; scslre finds such
// regexes by analysis, so they are refused where the file is validated.
import { analyse } from 'scslre';

export interface Backtracking {
  /** A character whose repetition makes the regex backtrack exponentially. */
  char: string;
  /** Offset in the source of the repeated quantifier to blame. */
  at: number;
}

export const BACKTRACKING_HINT = 'rewrite it so that a repeated part cannot match the same text in two ways, e.g. (a+)+ as a+, (\\s*\\w+)* as (\\s+\\w+)*';

/** The first exponential backtracking scslre finds in the regex, or undefined. */
export function exponentialBacktracking(source: string, flags: string): Backtracking | undefined {
  let reports;
  try {
    // Move reports (a failed match retried at each offset) are quadratic at worst: allowed.
    reports = analyse({ source, flags }, { reportTypes: { Move: false } }).reports;
  } catch {
    // Syntax regexpp does not know but V8 compiled: nothing to judge it by.
    return undefined;
  }
  const r = reports.find((x) => x.exponential);
  if (!r) return undefined;
  const quant = r.type === 'Trade' ? r.startQuant : r.type === 'Self' ? r.parentQuant : r.quant;
  return { char: r.character.pick, at: quant.start };
}

export function backtrackingMessage(b: Backtracking): string {
  return `can backtrack exponentially: on a line of many ${JSON.stringify(b.char)} it would stall the harness`;
}

export interface RegexProblem {
  kind: 'syntax' | 'backtracking';
  message: string;
  hint: string;
}

/** Verdicts already reached: the corpus judges the same tag patterns in both modes, and scenarios again at run time. */
const seen = new Map<string, RegexProblem | undefined>();
const SEEN_MAX = 10_000;

/** Why a regex source cannot be used (it does not compile, or it backtracks exponentially), or undefined. */
export function regexProblem(source: string, flags = ''): RegexProblem | undefined {
  const key = `${flags}/${source}`;
  if (seen.has(key)) return seen.get(key);
  const problem = judge(source, flags);
  if (seen.size >= SEEN_MAX) seen.clear();
  seen.set(key, problem);
  return problem;
}

function judge(source: string, flags: string): RegexProblem | undefined {
  try {
    new RegExp(source, flags);
  } catch (e) {
    return { kind: 'syntax', message: (e as Error).message, hint: 'write a JavaScript regular expression source, without slashes' };
  }
  const b = exponentialBacktracking(source, flags);
  return b && { kind: 'backtracking', message: backtrackingMessage(b), hint: BACKTRACKING_HINT };
}

/** A regex compiled from a user's source; throws with regexProblem's words. */
export function compileGuarded(source: string, flags = ''): RegExp {
  const problem = regexProblem(source, flags);
  if (problem) throw new Error(`bad regular expression ${JSON.stringify(source)}: ${problem.message}`);
  return new RegExp(source, flags);
}
