import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_RULES, normalizeLog } from '../harness/expect/normalize.js';
import { compilePattern, findForbidden, matchOrdered } from '../harness/expect/patterns.js';
import { checkDmesg, checkForbidden, checkGolden, checkLoad, checkPatterns, checkRun, compare, parseStats, programStats, verificationUs } from '../harness/expect/check.js';
import { parseComparison } from '../harness/scenario/comparison.js';
import { parsePattern } from '../harness/scenario/pattern-grammar.js';
import { LinearRegex, linearRegex } from '../common/linear-regex.js';
import { BAD_COMPARISONS, BAD_PATTERNS, GOOD_COMPARISONS, GOOD_PATTERNS } from './helpers/grammar-cases.js';
import { parseLoadallOutput } from '../harness/bpftool/loadall-output.js';
import { errnoName } from '../harness/bpftool/errno.js';

const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
const fixture = (name: string) => readFileSync(path.join(root, 'test/fixtures/bpftool', name), 'utf8');
const realLog = (name: string) => normalizeLog(parseLoadallOutput(fixture(name)).combinedLog);

t.test('normalization: built-in rules', async (t) => {
  t.equal(normalizeLog('0: (85) call scx_bpf_consume#135437'), '0: (85) call scx_bpf_consume#<btf_id>');
  t.equal(normalizeLog('11: (85) call bpf_map_lookup_elem#1'), '11: (85) call bpf_map_lookup_elem#1', 'helper ids stay');
  t.equal(normalizeLog('call bpf_loop#181'), 'call bpf_loop#181');
  t.equal(normalizeLog('9: (18) r1 = 0xffff88810433a800       ; R1=map_ptr'), '9: (18) r1 = <kaddr>       ; R1=map_ptr');
  t.equal(normalizeLog('RSP: 0018:ffffc90000003e38 EFLAGS: 00010246'), 'RSP: 0018:<kaddr> EFLAGS: 00010246');
  t.equal(normalizeLog('[<ffffffff81a0b2c5>] x'), '[<<kaddr>>] x');
  t.equal(normalizeLog('R1=pkt(off=1,r=0xfffffffffffffffe)'), 'R1=pkt(off=1,r=0xfffffffffffffffe)', 'negative numbers are not addresses');
  t.equal(normalizeLog('var_off=(0x0; 0xffffffffffffffff)'), 'var_off=(0x0; 0xffffffffffffffff)');
  t.equal(normalizeLog('x 0xffff8881'), 'x 0xffff8881', 'too short for an address');
  t.equal(normalizeLog('verification time 988 usec'), 'verification time <N> usec');
  t.equal(normalizeLog('a  \r\nb\t\r\nc '), 'a\nb\nc', 'CR and trailing blanks');
  for (const rule of BUILTIN_RULES) {
    t.equal(normalizeLog(rule.example.before), rule.example.after, `documented example of ${rule.name} holds`);
  }
});

t.test('normalization: extra rules after the built-ins, globally', async (t) => {
  t.equal(normalizeLog('pid 12 pid 345', [{ match: 'pid \\d+', replace: 'pid <pid>' }]), 'pid <pid> pid <pid>');
  t.equal(normalizeLog('a=1', [{ match: '(\\w)=(\\d)', replace: '$2=$1' }]), '1=a', 'capture groups');
  t.equal(normalizeLog('call f#123456', [{ match: '<btf_id>', replace: 'ID' }]), 'call f#ID', 'sees built-in output');
  t.throws(() => normalizeLog('x', [{ match: '(', replace: '' }]), /normalize: bad regular expression/);
});

t.test('normalization of real recordings', async (t) => {
  const kfunc = realLog('kfunc_call.txt');
  t.match(kfunc, 'call bpf_rcu_read_lock#<btf_id>');
  t.notMatch(kfunc, /#65495/);
  t.match(kfunc, 'verification time <N> usec');
  const xdp = realLog('xdp_pass.txt');
  t.match(xdp, 'r1 = <kaddr>');
  t.match(xdp, 'call bpf_map_lookup_elem#1');
  t.match(xdp, 'r=0xfffffffffffffffe');
  t.notMatch(xdp, / $/m, 'no trailing blanks (mark_precise lines had one)');
});

t.test('pattern compilation', async (t) => {
  t.equal(compilePattern('a.b (c)').regex.source, 'a\\.b \\(c\\)', 'plain text is literal');
  t.ok(compilePattern('processed {{[0-9]+}} insns').regex.test('processed 12 insns'));
  t.notOk(compilePattern('processed {{[0-9]+}} insns').regex.test('processed x insns'));
  t.ok(compilePattern('R{{[0-9]}} !read_ok').regex.test('R2 !read_ok'));
  t.throws(() => compilePattern('a{{b'), /unterminated "\{\{" at offset 1/, 'an unclosed {{ is an error, as in test_loader.c');
  t.ok(compilePattern('{{x|y}}z').regex.test('yz'), 'alternation stays inside its part');
  t.notOk(compilePattern('{{x|y}}z').regex.test('x'));
  t.throws(() => compilePattern('{{[}}'), /bad pattern/);
});

const LOG = ['0: R1=ctx() R10=fp0', '0: (b7) r0 = 2', 'R2 !read_ok', 'processed 2 insns (limit 1000000)', ''].join('\n');

t.test('ordered matching', async (t) => {
  const ok = matchOrdered(['R1=ctx()', 'r0 = 2', '!read_ok', 'processed {{[0-9]+}} insns'], LOG);
  t.same(ok, { ok: true, matched: [
    { index: 0, pattern: 'R1=ctx()', line: 1 },
    { index: 1, pattern: 'r0 = 2', line: 2 },
    { index: 2, pattern: '!read_ok', line: 3 },
    { index: 3, pattern: 'processed {{[0-9]+}} insns', line: 4 },
  ] });
  t.ok(matchOrdered(['0:', '0:'], LOG).ok, 'the same text can match twice on different lines');
  t.ok(matchOrdered(['R1', 'R10'], LOG).ok, 'and twice on one line, after the previous match');
  t.notOk(matchOrdered(['R10', 'R1='], LOG).ok, 'but not before it');

  const r = matchOrdered(['!read_ok', 'r0 = 2'], LOG);
  t.equal(r.ok, false);
  if (!r.ok) {
    t.equal(r.index, 1);
    t.equal(r.stoppedAtLine, 4, 'the line after the last match');
    t.equal(r.earlierLine, 2, 'an order violation is detected');
    t.same(r.matched, [{ index: 0, pattern: '!read_ok', line: 3 }]);
  }
  const none = matchOrdered(['nope'], LOG);
  t.same(none, { ok: false, matched: [], index: 0, pattern: 'nope', stoppedAtLine: 1 });
  const mid = matchOrdered(['R1=', 'nope'], LOG);
  t.equal(!mid.ok && mid.stoppedAtLine, 1, 'a match ending mid-line stops on that line');
});

t.test('matches stay within a line unless the pattern has a newline', async (t) => {
  t.notOk(matchOrdered(['fp0{{\\s+}}0:'], LOG).ok, '\\s does not cross lines');
  t.notOk(matchOrdered(['fp0{{[^x]+}}r0'], LOG).ok, '[^x] does not cross lines');
  t.ok(matchOrdered(['fp0\n0: (b7)'], LOG).ok, 'a pattern with a newline spans lines');
  t.ok(matchOrdered(['{{^R2 !read_ok$}}'], LOG).ok, '^ and $ are line anchors');
  t.notOk(matchOrdered(['R2', '{{^ !read_ok}}'], LOG).ok, '^ is not "after the previous match"');
});

t.test('not_log', async (t) => {
  t.same(findForbidden(['invalid', 'read_ok', '{{R[0-9] !}}'], LOG), [
    { index: 1, pattern: 'read_ok', line: 3 },
    { index: 2, pattern: '{{R[0-9] !}}', line: 3 },
  ]);
  const f = checkLoad({ loaded: true, not_log: ['invalid', 'read_ok'] }, { loaded: true, log: LOG });
  t.equal(f.length, 1);
  t.equal(f[0]?.expectation, 'not_log[1]');
  t.match(f[0]?.message, /must not appear, but it does on line 3/);
  t.match(f[0]?.diff, /  >> 3 \| R2 !read_ok/);
});

t.test('stats', async (t) => {
  t.same(parseStats(realLog('xdp_pass.txt')), { insns: 18, states: 1, peakStates: 1 });
  t.same(parseStats(realLog('two_progs.txt')), { insns: 2, states: 0, peakStates: 0 }, 'largest of the programs');
  t.same(parseStats('processed 7 insns (limit 131072)'), { insns: 7, states: 0 }, 'older short form');
  t.equal(parseStats('no stats here'), undefined);
  // Per program, veristat's columns: each program's own log in the loadall output.
  const progs = parseLoadallOutput(fixture('two_progs.txt'), 255).programs;
  t.same(progs.map((p) => [p.name, programStats(p.log), verificationUs(p.log)]), [
    ['good_prog', { insns: 2, maxStatesPerInsn: 0, states: 0, peakStates: 0, markRead: 0 }, 19],
    ['bad_prog', { insns: 2, maxStatesPerInsn: 0, states: 0, peakStates: 0, markRead: 0 }, 53],
  ]);
  t.equal(programStats('processed 7 insns (limit 131072)'), undefined, 'the short form has no veristat columns');
  for (const [actual, cmp, want] of [
    [5, '<= 5', true], [6, '<= 5', false], [4, '< 5', true], [5, '< 5', false], [1, '>= 1', true],
    [0, '>= 1', false], [3, '== 3', true], [3, '3', true], [4, '3', false], [2, '> 1', true], [0, '!= 0', false],
  ] as const) {
    t.equal(compare(actual, cmp), want, `${actual} ${cmp}`);
  }
  t.throws(() => compare(1, '~ 3'), /bad comparison/);

  const log = realLog('xdp_pass.txt');
  t.same(checkLoad({ insns: '<= 1000', states: '< 5' }, { loaded: true, log }), []);
  const f = checkLoad({ insns: '< 10', states: '>= 2' }, { loaded: true, log });
  t.same(f.map((x) => x.message), ['insns: expected < 10, got 18', 'states: expected >= 2, got 1']);
  t.match(checkLoad({ insns: '<= 1' }, { loaded: true, log: 'x' })[0]?.message, /no "processed N insns" line/);
  t.same(checkLoad({ insns: '<= 100' }, { loaded: true, log: 'x', stats: { insns: 50, states: 0 } }), [], 'given stats win');
});

t.test('loaded and errno', async (t) => {
  const rejected = realLog('pkt_unchecked.txt');
  t.same(checkLoad({}, { loaded: true, log: '' }), [], 'default: loaded');
  const f1 = checkLoad({}, { loaded: false, errno: 'EACCES', log: rejected });
  t.equal(f1[0]?.expectation, 'loaded');
  t.equal(f1[0]?.message, 'expected the load to succeed, but it failed with EACCES');
  t.match(f1[0]?.diff, /invalid access to packet/, 'shows the end of the log');
  t.same(checkLoad({ loaded: false }, { loaded: false, errno: 'EINVAL', log: '' }), [], 'no errno given: any');
  t.same(checkLoad({ loaded: false, errno: 'EACCES' }, { loaded: false, errno: 'EACCES', log: '' }), []);
  t.same(checkLoad({ errno: 'EACCES' }, { loaded: false, errno: 'EACCES', log: '' }), [], 'errno alone implies loaded: false');
  t.same(checkLoad({ loaded: false, errno: '-EACCES' }, { loaded: false, errno: 'Permission denied', log: '' }), [], 'spellings');
  const f2 = checkLoad({ loaded: false, errno: 'EACCES' }, { loaded: false, errno: 'EINVAL', log: '' });
  t.same(f2, [{ expectation: 'errno', message: 'errno: expected EACCES, got EINVAL' }]);
  const f3 = checkLoad({ loaded: false, errno: 'EPERM' }, { loaded: false, log: '' });
  t.match(f3[0]?.message, /expected EPERM, got none/);
  const f4 = checkLoad({ loaded: false }, { loaded: true, log: 'ok' });
  t.equal(f4[0]?.message, 'expected the load to fail, but it succeeded');
  t.same(checkLoad({ skip: true, loaded: false }, { loaded: true, log: '' }), [], 'skip');
});

t.test('a failed ordered pattern names everything', async (t) => {
  const log = realLog('uninit_reg.txt');
  const f = checkLoad(
    { loaded: false, errno: 'EACCES', log: ['func#0 @0', '{{R[0-9]}} !read_ok', 'invalid access to packet', 'processed'] },
    { loaded: false, errno: 'EACCES', log },
  );
  t.equal(f.length, 1);
  const x = f[0]!;
  t.equal(x.expectation, 'log[2]');
  t.equal(x.pattern, 'invalid access to packet');
  const readOk = log.split('\n').indexOf('R2 !read_ok') + 1;
  t.equal(x.stoppedAtLine, readOk + 1);
  t.same(x.matchedBefore, [
    { index: 0, pattern: 'func#0 @0', line: 2 },
    { index: 1, pattern: '{{R[0-9]}} !read_ok', line: readOk },
  ]);
  t.equal(x.message, `log[2] "invalid access to packet" not found after log[1] matched on line ${readOk}`);
  // A unified diff: the missing pattern is the line the log lacks where matching stopped.
  t.match(x.diff, /^--- log\texpected\n\+\+\+ log\tactual \(normalized\)\n@@ /);
  t.match(x.diff, '\n R2 !read_ok\n-invalid access to packet\n verification time <N> usec\n');

  const order = checkLoad({ log: ['processed', 'func#0'] }, { loaded: true, log });
  t.match(order[0]?.message, /\(it occurs earlier, on line 2: out of order\)/);

  const long = Array.from({ length: 200 }, (_, i) => `line ${i + 1}`).join('\n');
  const lf = checkDmesg({ log: ['line 100', 'nope'] }, long)[0]!;
  t.equal(lf.stoppedAtLine, 101, 'the match ended at its line end: the search went on from the next line');
  t.match(lf.diff, '\n@@ -95,13 +95,12 @@\n', '6 lines of context either side, not the whole log');
  t.match(lf.diff, '\n line 100\n-nope\n line 101\n');
  t.notMatch(lf.diff, /line 94\n|line 108\n/);
});

t.test('run and dmesg', async (t) => {
  t.same(checkRun({}, { exit: 0, stdout: '', stderr: '' }), [], 'default exit 0');
  const f = checkRun({ stdout: ['enabled'] }, { exit: 1, stdout: 'disabled\r\n', stderr: 'oops\n' });
  t.same(f.map((x) => x.expectation), ['exit', 'stdout[0]']);
  t.equal(f[0]?.message, 'exit: expected 0, got 1');
  t.match(f[0]?.diff, /oops/);
  t.same(checkRun({ exit: 2, stderr: ['{{^usage}}'] }, { exit: 2, stdout: '', stderr: 'usage: x\n' }), []);
  const dmesg = 'sched_ext: BPF scheduler "simple" disabled (runtime error)\nsched_ext: simple: kfunc with mask 0x2\n';
  t.same(checkDmesg({ log: ['disabled (runtime error)', 'mask {{0x[0-9a-f]+}}'], not_log: ['BUG:'] }, dmesg), []);
  t.same(checkDmesg({ log: ['mask', 'disabled'] }, dmesg).map((x) => x.expectation), ['log[1]']);
  t.same(checkDmesg({ not_log: ['BUG:', 'simple:'] }, dmesg).map((x) => x.expectation), ['not_log[1]']);
});

t.test('golden log_file', async (t) => {
  const log = realLog('pkt_unchecked.txt');
  t.equal(checkGolden(log, log), undefined);
  t.equal(checkGolden(log.replace(/\n$/, '').replace(/\n/g, '\r\n'), log), undefined, 'CRLF and final newline do not matter');
  const golden = log.replace('off=0 size=1', 'off=0 size=2');
  const f = checkGolden(golden, log, 'pkt.log');
  t.equal(f?.expectation, 'log_file');
  t.match(f?.message, /differs from pkt\.log: 1 line\(s\) expected but missing, 1 unexpected/);
  t.match(f?.diff, /^--- pkt\.log\texpected \(golden\)\n\+\+\+ pkt\.log\tactual\n@@ /);
  t.match(f?.diff, /\n-invalid access to packet, off=0 size=2, R1\(id=0,off=0,r=0\)\n\+invalid access to packet, off=0 size=1,/);
});

t.test('errno names', async (t) => {
  for (const [text, name] of [
    ['Permission denied', 'EACCES'], ['Invalid argument', 'EINVAL'], ['Operation not permitted', 'EPERM'],
    ['Argument list too long', 'E2BIG'], ['No such file or directory', 'ENOENT'], ['-EACCES', 'EACCES'],
    ['EINVAL', 'EINVAL'], ['-13', 'EACCES'], ['13', 'EACCES'], ['-524', 'ENOTSUPP'], ['Unknown error 524', 'ENOTSUPP'],
    ['unknown error (-524)', 'ENOTSUPP'], ['Operation not supported', 'EOPNOTSUPP'], ['-ENOTSUP', 'EOPNOTSUPP'],
    ['Too many levels of symbolic links', 'ELOOP'], ['No space left on device', 'ENOSPC'], ['Out of memory', 'ENOMEM'],
  ] as const) {
    t.equal(errnoName(text), name, text);
  }
  t.equal(errnoName('whatever'), undefined);
  t.equal(errnoName('-4007'), undefined, 'libbpf-internal codes have no name');
});

t.test('one pattern grammar: what parses is what the matcher runs', async (t) => {
  const log = 'R1 ab R2 aa\nprocessed 12 insns\n';
  for (const [p, line] of GOOD_PATTERNS) {
    const parsed = parsePattern(p);
    t.ok(parsed.ok, `${JSON.stringify(p)} parses`);
    t.doesNotThrow(() => compilePattern(p), `${JSON.stringify(p)} compiles for the matcher`);
    t.same(checkPatterns('log', [p], line), [], `${JSON.stringify(p)} matches ${JSON.stringify(line)}`);
  }
  for (const [p, why] of BAD_PATTERNS) {
    const parsed = parsePattern(p);
    t.match(parsed, { ok: false, message: why }, `${JSON.stringify(p)} is refused: ${why}`);
    t.throws(() => compilePattern(p), /bad pattern/, `${JSON.stringify(p)} is refused by the matcher too`);
    // Patterns from elsewhere (a kernel tree's __msg) fail their check instead of throwing.
    for (const check of [checkPatterns, checkForbidden]) {
      const f = check('msg', ['R1', p], log);
      t.equal(f.length, 1, `${check.name} ${JSON.stringify(p)}: one failure`);
      t.equal(f[0]?.expectation, 'msg[1]');
      t.match(f[0]?.message, `msg[1] ${JSON.stringify(p)} cannot be matched: `);
    }
  }
});

t.test('one comparison grammar: what parses is what compare() runs', async (t) => {
  for (const [c, actual, want] of GOOD_COMPARISONS) {
    t.ok(parseComparison(c), `${JSON.stringify(c)} parses`);
    t.equal(compare(actual, c), want, `${actual} against ${JSON.stringify(c)}`);
  }
  for (const c of BAD_COMPARISONS) {
    t.equal(parseComparison(c), undefined, `${JSON.stringify(c)} is refused`);
    t.throws(() => compare(1, c as string), /bad comparison/, `compare() refuses ${JSON.stringify(c)} too`);
  }
});

// Each of these stalled V8's backtracking engine for seconds to hours on under 60
// characters (issue 21); on RE2 each answers on 20,000. No time is asserted: with a
// backtracking engine the test would not finish.
const STALLING: [string, string, boolean][] = [
  ['(a+)+$', `${'a'.repeat(20000)}!`, false],
  ['(a|a)+$', `${'a'.repeat(20000)}!`, false],
  ['(a|aa)+$', `${'a'.repeat(20000)}!`, false],
  ['(\\w|\\d)+$', `${'1'.repeat(20000)}!`, false],
  ['(?:a?){25}a{25}', 'a'.repeat(25), true],
  ['a*a*a*a*a*a*a*a*b', 'a'.repeat(20000), false],
  ['\\d+\\d+\\d+\\d+\\d+\\d+\\d+\\d+x', '1'.repeat(20000), false],
];

t.test('user regexes run on RE2: the patterns that stall a backtracking engine answer, and correctly', async (t) => {
  for (const [re, line, want] of STALLING) {
    t.equal(new LinearRegex(re).test(line), want, `${re} on ${line.length} characters`);
    // In (?:...): a part ends at the first "}}", and "a{25}}}" would end it too soon.
    t.equal(checkPatterns('log', [`{{(?:${re})}}`], `${line}\n`).length === 0, want, `${re} as a log pattern`);
  }
  t.equal(normalizeLog(`${'a'.repeat(20000)}!`, [{ match: '(a|aa)+!', replace: '<$1>' }]), '<a>', 'normalize: with its groups');
  t.equal(new LinearRegex('(?<n>[0-9]+) (x)').replaceAll('1 x, 22 x', '[$<n>|$2|$&|$$]'), '[1|x|1 x|$], [22|x|22 x|$]', "String.prototype.replace's syntax");
  t.equal(new LinearRegex('x*').replaceAll('abc', '-'), '-a-b-c-', 'an empty match moves on by one, as String.prototype.replace does');
  for (const re of ['(?=a)', '(?<=R)[0-9]+', '(a)\\1', '(?<n>x)\\k<n>', '([']) {
    t.ok(linearRegex(re) instanceof Error, `${re} is refused (RE2 has no lookaround or backreferences)`);
  }
  t.throws(() => normalizeLog('aaaa', [{ match: '(?=a)', replace: '' }]), /normalize: bad regular expression "\(\?=a\)": invalid or unsupported Perl syntax/);
});
