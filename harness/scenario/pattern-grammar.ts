// The pattern grammar of log, not_log, stdout and stderr (and selftests' __msg, __xlated):
// the kernel selftests' rules (tools/testing/selftests/bpf/test_loader.c, compile_regex):
// plain text is literal, {{...}} parts are regular expressions (RE2's syntax standing in
// for POSIX ERE: linear time, see common/linear-regex.ts), and a "{{" without its "}}"
// is an error. The scenario schema and the matcher both parse with parsePattern, so
// whatever validates also runs.
import { LINEAR_REGEX_HINT, LinearRegex } from '../../common/linear-regex.js';

/** Flags of every compiled pattern: m for ^ and $ at line ends. */
export const PATTERN_FLAGS = 'm';

export interface ParsedPattern {
  ok: true;
  source: string;
  regex: LinearRegex;
  /** The text itself, for a pattern without {{ }} parts (searched as a substring). */
  literal?: string;
  /** Contains a newline: matched across lines (see patterns.ts). */
  multiline: boolean;
}

export interface PatternProblem {
  ok: false;
  message: string;
  hint: string;
}

const ESCAPE = /[.*+?^${}()|[\]\\/]/g;
const REGEX_HINT = `the part inside {{ }} must be a valid regular expression; text outside it matches literally; ${LINEAR_REGEX_HINT}`;

interface Part {
  /** The regex between {{ and }}; undefined for literal text. */
  regex?: string;
  text: string;
  /** Where the part starts in the compiled body. */
  at: number;
}

function parse(source: string): PatternProblem | { parts: Part[]; body: string } {
  const parts: Part[] = [];
  let body = '';
  let rest = source;
  const push = (text: string, regex?: string) => {
    const compiled = regex === undefined ? text.replace(ESCAPE, '\\$&') : `(?:${regex})`;
    parts.push({ text, at: body.length, ...(regex === undefined ? {} : { regex }) });
    body += compiled;
  };
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) break;
    const close = rest.indexOf('}}', open + 2);
    if (close < 0) {
      const at = source.length - rest.length + open;
      return { ok: false, message: `unterminated "{{" at offset ${at} (regex parts are written {{...}})`, hint: 'close the regex part with "}}"' };
    }
    if (open > 0) push(rest.slice(0, open));
    push(rest.slice(open, close + 2), rest.slice(open + 2, close));
    rest = rest.slice(close + 2);
  }
  if (rest) push(rest);
  return { parts, body };
}

/** A pattern compiled, or why it cannot be used (with a hint for the file's author). */
export function parsePattern(source: string): ParsedPattern | PatternProblem {
  const parsed = parse(source);
  if ('ok' in parsed) return parsed;
  const { parts, body } = parsed;
  // Each part alone first: wrapped in (?:...), "a)(b" would otherwise compile.
  for (const p of parts) {
    if (p.regex === undefined) continue;
    try {
      new LinearRegex(p.regex);
    } catch (e) {
      return { ok: false, message: `bad regex ${p.text}: ${(e as Error).message}`, hint: REGEX_HINT };
    }
  }
  let regex: LinearRegex;
  try {
    regex = new LinearRegex(body, PATTERN_FLAGS);
  } catch (e) {
    // Parts that are fine alone but not together: a group name used twice, say.
    return { ok: false, message: `the regex parts do not fit together: ${(e as Error).message}`, hint: 'the {{ }} parts of a pattern make one regular expression: give its named groups different names' };
  }
  const literal = parts.every((p) => p.regex === undefined) ? source : undefined;
  return { ok: true, source, regex, ...(literal !== undefined ? { literal } : {}), multiline: source.includes('\n') };
}

/** normalize: match sources are applied globally; the schema validates them with these flags. */
export const NORMALIZE_FLAGS = 'g';
