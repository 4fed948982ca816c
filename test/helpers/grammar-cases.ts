// Patterns and comparisons for the tests that hold the scenario schema and the matcher to
// one grammar (expect.test.ts runs them through the matcher, scenario-schema.test.ts
// through the validator): each good one is accepted by both, each bad one by neither.

/** A pattern, and a log line it matches. */
export const GOOD_PATTERNS: [string, string][] = [
  ['processed {{[0-9]+}} insns', 'processed 12 insns'],
  ['a.b (c) [d] {e} $f ^g', 'x a.b (c) [d] {e} $f ^g'],
  ['R{{(?<reg>[0-9])}} = R{{[0-9]}}', 'R1 = R1'],
  ['R{{[0-9]}} !read_ok', 'R2 !read_ok'],
  ['{{x|y}}z', 'yz'],
  ['}} alone is text', 'x }} alone is text'],
  ['BUG: {{(.+?)(?:, address: .*)?$}}', 'BUG: unable to handle page fault, address: 0x0'],
  // Patterns that stall a backtracking engine run in linear time on RE2 (issue 21).
  // Text outside {{ }} is literal, "$" too.
  ['x {{(a+)+}}$', 'x aaaa$'],
  ['{{(\\s*\\w+)*}}:', 'a b c:'],
  ['{{(a|aa)+$}}', 'aaa'],
];

/** A pattern no part of the harness may accept, and what the refusal says. */
export const BAD_PATTERNS: [string, RegExp][] = [
  ['a{{b', /^unterminated "\{\{" at offset 1 /],
  ['processed {{[0-9+}} insns', /^bad regex \{\{\[0-9\+\}\}: missing closing \]/],
  // Fine wrapped in (?:...), so each part is checked alone too.
  ['{{a)(b}}', /^bad regex \{\{a\)\(b\}\}: /],
  // Each part compiles alone; together they name one group twice (the matcher's exit 3 before).
  ['{{(?<n>a)}} and {{(?<n>b)}}', /^the regex parts do not fit together: duplicate capture group name/],
  // RE2 has no lookaround and no backreferences (what makes it linear).
  ['R{{(?<reg>[0-9])}} = R{{\\k<reg>}}', /^bad regex \{\{\\k<reg>\}\}: invalid escape sequence/],
  ['{{(?<=R)[0-9]}} !read_ok', /^bad regex \{\{\(\?<=R\)\[0-9\]\}\}: invalid named capture/],
  ['{{a(?=b)}}', /^bad regex \{\{a\(\?=b\)\}\}: invalid or unsupported Perl syntax/],
];

/** A comparison, a count, and whether the count meets it. */
export const GOOD_COMPARISONS: [string | number, number, boolean][] = [
  ['<= 5', 5, true], ['< 5', 5, false], ['>= 1', 0, false], ['> 1', 2, true], ['== 3', 3, true],
  ['!= 0', 0, false], ['!=0', 1, true], [' 3 ', 3, true], [3, 4, false], ['<=1000', 18, true],
];

export const BAD_COMPARISONS: (string | number)[] = [
  '~ 3', '=< 3', '<>', '-1', '1.5', 'about 1000', '', '<= 99999999999999999999', 1.5, -1, 1e300,
];
