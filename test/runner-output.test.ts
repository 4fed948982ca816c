// The tree's runners as our results read them: test_verifier's output, test by test and
// mode by mode, and the test_progs list syntax the scenarios and deny lists use.
// test/fixtures/runners/test_verifier-selftests-6.12.txt: lines of test_verifier's output
// recorded on 2026-12-07 from selftests-6.12 (6.12.118, built from Debian's
// linux-source-6.12) in a 1 GiB guest under TCG: the first tests, the "N cases" and
// "Did not run the program" forms, and the end with its summary (the whole run: 790
// passed). The FAIL records below are shaped as test_verifier.c (6.12) prints them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseTestVerifier } from '../harness/runners/test-verifier.js';
import { entryMatches, globMatch, readDenyList, selects } from '../harness/runners/select.js';
import { repoRoot } from '../common/paths.js';
import { programsCsv } from '../harness/results/csv.js';

const recorded = readFileSync(join(repoRoot, 'test', 'fixtures', 'runners', 'test_verifier-selftests-6.12.txt'), 'utf8');

t.test('test_verifier: a test per line and mode, its verdict at the end of the line', async (t) => {
  const { tests, summary } = parseTestVerifier(recorded);
  t.same(summary, { passed: 790, skipped: 0, failed: 0 });
  t.equal(tests.length, 15);
  t.same(tests[0], { runner: 'test_verifier', number: '#0/u', subtest: 'u', test: 'BPF_ATOMIC_AND without fetch', outcome: 'pass' });
  t.same(tests.find((x) => x.number === '#374/p')?.test, 'jset32: BPF_K', '"3 cases" is not part of the name');
  t.same(tests.find((x) => x.number === '#106/p'), { runner: 'test_verifier', number: '#106/p', subtest: 'p', test: 'inline simple bpf_loop call', outcome: 'pass', reason: 'loaded; did not run the program (not supported)' });
  t.ok(tests.every((x) => x.outcome === 'pass'));
});

t.test('test_verifier: a failure carries what followed it; a skip its reason; a line cut short is a failure', async (t) => {
  const out = [
    '#7/u atomic test OK',
    '#7/p invalid access to map value FAIL',
    'Unexpected error message!',
    '\tEXP: R0 invalid mem access',
    '\tRES: R1 type=scalar expected=fp',
    '0: (b7) r0 = 0',
    '#8/u sk_skb test SKIP',
    '#8/p cgroup dev SKIP (unsupported program type 15)',
    '#9/p ld_abs: vlan + abs, test 1 ',
  ].join('\n');
  const { tests, summary } = parseTestVerifier(out);
  t.equal(summary, undefined, 'no summary: the runner stopped');
  t.same(tests.map((x) => [x.number, x.test, x.outcome]), [
    ['#7/u', 'atomic test', 'pass'], ['#7/p', 'invalid access to map value', 'fail'], ['#8/u', 'sk_skb test', 'skip'], ['#8/p', 'cgroup dev', 'skip'], ['#9/p', 'ld_abs: vlan + abs, test 1', 'fail'],
  ]);
  t.equal(tests[1]!.reason, 'Unexpected error message!');
  t.match(tests[1]!.log, /EXP: R0 invalid mem access\n\tRES: R1 type=scalar expected=fp\n0: \(b7\) r0 = 0$/);
  t.equal(tests[2]!.reason, 'unprivileged BPF is disabled');
  t.equal(tests[3]!.reason, 'unsupported program type 15');
  t.match(tests[4]!.reason, /no verdict: the runner stopped in this test/);
});

t.test("test_progs' list syntax: TEST or TEST/SUBTEST, * the only glob", async (t) => {
  t.ok(globMatch('bpf_cookie', 'bpf_cookie'));
  t.notOk(globMatch('bpf_cookie', 'bpf_cookie2'), 'no glob: the whole name');
  t.ok(globMatch('*cookie*', 'bpf_cookie'));
  t.ok(globMatch('a*b*c', 'aXbYc'));
  t.notOk(globMatch('a*b*c', 'aXcYb'));
  t.notOk(globMatch('ab*ba', 'aba'), 'prefix and suffix may not overlap');
  t.ok(globMatch('a?c', 'a?c') && !globMatch('a?c', 'abc'), '? is a character like any other');
  t.ok(entryMatches('bpf_cookie', { test: 'bpf_cookie', subtest: 'kprobe' }), "a test's entry names its subtests");
  t.ok(entryMatches('bpf_cookie/k*', { test: 'bpf_cookie', subtest: 'kprobe' }));
  t.notOk(entryMatches('bpf_cookie/k*', { test: 'bpf_cookie' }), "a subtest's entry does not name the test's own row");
  t.notOk(entryMatches('bpf_cookie/uprobe', { test: 'bpf_cookie', subtest: 'kprobe' }));
});

t.test('deny lists: the comment is the reason, with the file and line; allow keeps, deny skips', async (t) => {
  const deny = readDenyList('# header comment\n\nbpf_cookie/multi_kprobe*   # no fprobe here\nkprobe_multi_test\n', 'DENYLIST.x86_64');
  t.same(deny, [
    { pattern: 'bpf_cookie/multi_kprobe*', reason: 'DENYLIST.x86_64:3: no fprobe here' },
    { pattern: 'kprobe_multi_test', reason: 'DENYLIST.x86_64:4' },
  ]);
  const test = (name: string, subtest?: string) => ({ runner: 'test_progs', test: name, ...(subtest ? { subtest } : {}), number: '#1', outcome: 'pass' as const });
  const sel = { allow: ['bpf_cookie', 'kprobe_multi_test'], deny };
  t.equal(selects(sel, test('align')), undefined, 'not allowed: not reported');
  t.same(selects(sel, test('bpf_cookie', 'kprobe')), test('bpf_cookie', 'kprobe'));
  t.same(selects(sel, test('bpf_cookie', 'multi_kprobe_link_api')), { ...test('bpf_cookie', 'multi_kprobe_link_api'), outcome: 'skip', reason: 'denied (DENYLIST.x86_64:3: no fprobe here)' });
  t.equal(selects(sel, test('kprobe_multi_test', 'skel_api'))?.outcome, 'skip');
});

t.test('--csv: a row per runner test after the programs, veristat\'s cells empty, the runner\'s filled', async (t) => {
  const results = [{
    file: 'scenarios/runners/test_verifier.yaml', name: 'tv', kernel: 'selftests-6.12', outcome: 'fail' as const, durationMs: 1, steps: [],
    tests: [
      { runner: 'test_verifier', test: 'junk insn, "quoted"', subtest: 'p', number: '#432/p', outcome: 'pass' as const },
      { runner: 'test_verifier', test: 'invalid access', subtest: 'u', number: '#7/u', outcome: 'fail' as const, reason: 'Unexpected error message!', durationMs: 12 },
    ],
  }];
  const lines = programsCsv(results).trim().split('\n');
  t.match(lines[0], /,kernel,mode,outcome,reason,scenario,step,runner,test,subtest,duration_ms$/);
  t.equal(lines[1], ',,,,,,,,,selftests-6.12,,pass,,scenarios/runners/test_verifier.yaml,,test_verifier,"junk insn, ""quoted""",p,', "veristat's cells empty; a name with a comma and quotes quoted");
  t.equal(lines[2], ',,,,,,,,,selftests-6.12,,fail,Unexpected error message!,scenarios/runners/test_verifier.yaml,,test_verifier,invalid access,u,12');
});
