// Users' regular expressions (scenario patterns, normalize:, crash policies, --grep)
// run on the event loop over logs of any length, where a backtracking engine can take
// exponential or polynomial time: `(a|aa)+$` or eight `\d+` in a row on 60 characters
// stalled V8 for seconds to minutes, SSH keepalives and watchdogs with it. They run on
// re2js (RE2 ported to JavaScript): time linear in the text, whatever the pattern. Its
// syntax is RE2's: no lookaround and no backreferences, which it refuses when compiled.
import { RE2JS } from 're2js';

export interface LinearMatch {
  /** UTF-16 offsets, as String.prototype.slice takes them. */
  index: number;
  end: number;
  /** The match and its groups ($0, $1, ...); a group that took no part is undefined. */
  groups: (string | undefined)[];
  named: Record<string, string | undefined>;
}

/** The flags we take: i (case), m (^ and $ at lines), s (. takes \n); g and y are how a caller searches, not the engine's. */
const FLAG_BITS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, g: 0, y: 0 };

export class LinearRegex {
  private readonly re: RE2JS;
  private readonly names: Record<string, number>;

  /** Throws an Error whose message says what RE2 could not take. */
  constructor(readonly source: string, readonly flags = '') {
    let bits = 0;
    for (const f of flags) {
      const b = FLAG_BITS[f];
      if (b === undefined) throw new Error(`the regex flag ${JSON.stringify(f)} is not supported`);
      bits |= b;
    }
    try {
      this.re = RE2JS.compile(source, bits);
    } catch (e) {
      throw new Error((e as Error).message.replace(/^error parsing regexp: /, ''));
    }
    this.names = this.re.namedGroups() as Record<string, number>;
  }

  /** The first match starting at or after `from`. */
  exec(text: string, from = 0): LinearMatch | undefined {
    if (from > text.length) return undefined;
    const m = this.re.matcher(text);
    if (!m.find(from)) return undefined;
    const groups: (string | undefined)[] = [];
    for (let g = 0; g <= m.groupCount(); g++) groups.push(m.group(g) ?? undefined);
    const named: Record<string, string | undefined> = {};
    for (const [name, g] of Object.entries(this.names)) named[name] = groups[g];
    return { index: m.start(), end: m.end(), groups, named };
  }

  test(text: string): boolean {
    return this.re.matcher(text).find(0);
  }

  /** Every match replaced, with String.prototype.replace's syntax: $$, $&, $1..$99, $<name>. */
  replaceAll(text: string, replacement: string): string {
    let out = '';
    let at = 0;
    let from = 0;
    for (;;) {
      const m = this.exec(text, from);
      if (!m) break;
      out += text.slice(at, m.index) + expand(replacement, m);
      at = m.end;
      // An empty match moves on by one, as String.prototype.replace does.
      from = m.end > m.index ? m.end : m.end + 1;
      if (from > text.length) break;
    }
    return out + text.slice(at);
  }
}

function expand(replacement: string, m: LinearMatch): string {
  return replacement.replace(/\$(\$|&|<([^>]*)>|\d{1,2})/g, (whole, what: string, name?: string) => {
    if (what === '$') return '$';
    if (what === '&') return m.groups[0] ?? '';
    if (name !== undefined) return name in m.named ? (m.named[name] ?? '') : whole;
    // $12 is group 12 when there is one, else group 1 and a "2".
    const n = Number(what);
    if (n > 0 && n < m.groups.length) return m.groups[n] ?? '';
    if (what.length === 2 && Number(what[0]) > 0 && Number(what[0]) < m.groups.length) return (m.groups[Number(what[0])] ?? '') + what[1];
    return whole;
  });
}

/** Verdicts already reached: the corpus judges the same tag patterns in both modes, and scenarios again at run time. */
const compiled = new Map<string, LinearRegex | Error>();
const COMPILED_MAX = 10_000;

/** The regex, compiled once per source and flags; an Error when RE2 cannot take it. */
export function linearRegex(source: string, flags = ''): LinearRegex | Error {
  const key = `${flags}/${source}`;
  let r = compiled.get(key);
  if (!r) {
    try {
      r = new LinearRegex(source, flags);
    } catch (e) {
      r = e as Error;
    }
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    compiled.set(key, r);
  }
  return r;
}

/** The hint for a regex RE2 refuses. */
export const LINEAR_REGEX_HINT = 'regular expressions run on RE2 (linear time, never stalls): no lookahead, lookbehind or backreferences; write the pattern without them';

/** A regex compiled from a user's source; throws with what is wrong with it. */
export function compileLinear(source: string, flags = ''): LinearRegex {
  const r = linearRegex(source, flags);
  if (r instanceof Error) throw new Error(`bad regular expression ${JSON.stringify(source)}: ${r.message}`);
  return r;
}
