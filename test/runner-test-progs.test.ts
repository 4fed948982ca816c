// test_progs as our results read it: its verdict lines, the logs of failures, where a
// run stopped short, and which tests a scenario's allow and deny entries hand to it.
// The lines below are shaped as the tree's test_progs.c (6.12) prints them (print_test_result,
// print_subtest_name, dump_test_log, calculate_summary_and_print_errors).
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configGaps } from '../harness/runners/plan.js';
import { cutLog, LOG_LIMIT, parseTestProgs, readTestList, testVerdict } from '../harness/runners/test-progs.js';
import { chooseTests, numberList } from '../harness/runners/test-progs-run.js';
import { junitXml } from '../harness/reporters/junit.js';
import type { RunResult } from '../harness/results/model.js';

const out = [
  '#1/1     align/mov:OK',
  '#1/2     align/shift:OK',
  '#1       align:OK',
  'test_attach:PASS:skel_open 0 nsec',
  'test_attach:FAIL:attach_kprobe unexpected error: -2 (errno 2)',
  '#2/1     attach_probe/manual-default:FAIL',
  '#2/2     attach_probe/auto:OK',
  '#2       attach_probe:FAIL',
  '#3       bpf_nf:SKIP',
  '#4/1     btf/one:OK',
  '#4/2     btf/two:SKIP',
  '#4       btf:OK (SKIP: 1/2)',
  '',
  'All error logs:',
  'test_attach:FAIL:attach_kprobe unexpected error: -2 (errno 2)',
  '#2/1     attach_probe/manual-default:FAIL',
  '#2       attach_probe:FAIL',
  'Summary: 2/3 PASSED, 2 SKIPPED, 1 FAILED',
].join('\n');

t.test('test_progs: a row per test and subtest, a failure with the log printed before it', async (t) => {
  const r = parseTestProgs(out, 'test_progs');
  t.same(r.summary, { passed: 2, passedSubtests: 3, skipped: 2, failed: 1 });
  t.same([...r.finished], [1, 2, 3, 4], 'the repeat after "All error logs:" is not read twice');
  t.same(r.tests.map((x) => [x.number, x.test, x.subtest ?? '', x.outcome]), [
    ['#1/1', 'align', 'mov', 'pass'], ['#1/2', 'align', 'shift', 'pass'], ['#1', 'align', '', 'pass'],
    ['#2/1', 'attach_probe', 'manual-default', 'fail'], ['#2/2', 'attach_probe', 'auto', 'pass'], ['#2', 'attach_probe', '', 'fail'],
    ['#3', 'bpf_nf', '', 'skip'], ['#4/1', 'btf', 'one', 'pass'], ['#4/2', 'btf', 'two', 'skip'], ['#4', 'btf', '', 'pass'],
  ]);
  const failed = r.tests.find((x) => x.number === '#2/1')!;
  t.equal(failed.reason, 'test_attach:FAIL:attach_kprobe unexpected error: -2 (errno 2)', 'the failed check is the reason');
  t.match(failed.log, /PASS:skel_open[\s\S]*FAIL:attach_kprobe/);
  t.equal(r.tests.find((x) => x.number === '#4')?.reason, '1 of 2 subtests skipped');
});

t.test('test_progs: a run cut short has no summary, and the tests after the last verdict are not finished', async (t) => {
  const r = parseTestProgs(['#1       align:OK', '#2/1     attach_probe/manual-default:OK', 'partial log'].join('\n'), 'test_progs');
  t.equal(r.summary, undefined);
  t.same([...r.finished], [1]);
});

t.test('a test verdict read as the output streams', async (t) => {
  t.same(testVerdict('#2       attach_probe:FAIL'), { number: 2, outcome: 'fail' });
  t.same(testVerdict('#4       btf:OK (SKIP: 1/2)'), { number: 4, outcome: 'pass' });
  t.equal(testVerdict('#2/1     attach_probe/manual-default:FAIL'), undefined, 'a subtest is not its test');
  t.equal(testVerdict('test_attach:FAIL:attach_kprobe unexpected error'), undefined);
});

t.test('a long log keeps its head and its tail', async (t) => {
  const lines = Array.from({ length: 3000 }, (_, i) => `verifier line ${i}`);
  const log = cutLog(lines)!;
  t.ok(log.length < LOG_LIMIT + 100);
  t.match(log, /^verifier line 0\n/);
  t.match(log, /characters cut/);
  t.match(log, /verifier line 2999$/);
});

t.test('the tests are numbered by their place in the generated tests.h', async (t) => {
  t.same(readTestList('/* Generated header, do not edit */\nDEFINE_TEST(align)\nDEFINE_TEST(attach_probe)\nDEFINE_TEST(bpf_nf)\n'), ['align', 'attach_probe', 'bpf_nf']);
});

t.test('-n lists: runs of numbers folded', async (t) => {
  t.equal(numberList([5, 1, 2, 3, 9, 10, 7]), '1-3,5,7,9-10');
  t.equal(numberList([4]), '4');
});

t.test('allow and deny: whole tests chosen or denied here, subtests left to the runner', async (t) => {
  const names = ['align', 'attach_probe', 'bpf_cookie', 'bpf_nf'];
  const deny = [
    { pattern: 'bpf_nf', reason: 'DENYLIST:3: no conntrack here' },
    { pattern: 'bpf_cookie/multi_kprobe*', reason: 'the scenario: slow' },
  ];
  const all = chooseTests(names, { allow: [], deny }, 'test_progs');
  t.same(all.numbers, [1, 2, 3], 'a denied test is not run');
  t.same(all.denied.map((d) => [d.test, d.subtest ?? '', d.reason]), [
    ['bpf_cookie', 'multi_kprobe*', 'denied (the scenario: slow)'],
    ['bpf_nf', '', 'denied (DENYLIST:3: no conntrack here)'],
  ]);
  t.same(all.args(all.numbers), ['-a', 'align', '-a', 'attach_probe', '-a', 'bpf_cookie', '-d', 'bpf_cookie/multi_kprobe*'], 'each test by name; the runner leaves the denied subtests out itself');
  t.same(all.args([3]), ['-a', 'bpf_cookie', '-d', 'bpf_cookie/multi_kprobe*'], 'the tests left after a crash');
  const some = chooseTests(names, { allow: ['attach_*', 'bpf_cookie/kprobe'], deny }, 'test_progs');
  t.same(some.numbers, [2, 3]);
  t.same(some.args(some.numbers), ['-a', 'attach_probe', '-a', 'bpf_cookie/kprobe', '-d', 'bpf_cookie/multi_kprobe*'], 'a glob becomes the names it chose; a subtest entry stays whole');
});

t.test('JUnit: a testcase per runner test and subtest, a failure with its log', async (t) => {
  const run: RunResult = {
    startedAt: '', durationMs: 1000, target: 'qemu', outDir: '', scenarios: [{
      file: 'scenarios/runners/x.yaml', name: 'x', kernel: 'k', outcome: 'fail', durationMs: 1000, steps: [], tests: [
        { runner: 'test_progs', test: 'align', subtest: 'mov', number: '#2/1', outcome: 'pass' },
        { runner: 'test_progs', test: 'build_id', subtest: 'nofault-paged-out', number: '#42/1', outcome: 'fail', reason: 'subtest_nofault:FAIL:build_id_status', log: 'the log & more' },
        { runner: 'test_progs', test: 'bpf_nf', number: '#24', outcome: 'skip', reason: 'denied (DENYLIST:1)' },
      ],
    }],
  };
  const xml = junitXml(run);
  t.match(xml, /<testsuites name="bpf-harness" tests="4" failures="2" errors="0" skipped="1"/, 'the scenario and its three tests');
  t.match(xml, /<testcase name="#42\/1 build_id\/nofault-paged-out" classname="scenarios.runners.x.test_progs"[^>]*>\s*<failure message="subtest_nofault:FAIL:build_id_status" type="fail">the log &amp; more<\/failure>/);
  t.match(xml, /<testcase name="#24 bpf_nf"[^>]*>\s*<skipped message="denied \(DENYLIST:1\)"\/>/);
});

t.test("the kernel's gaps against the tree's config fragments", async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'bpf-harness-gaps-'));
  writeFileSync(join(d, 'config'), 'CONFIG_BPF=y\nCONFIG_NET_SCH_BPF=y\nCONFIG_BPF_TEST_MOD=m\n# a comment\n');
  writeFileSync(join(d, 'config.x86_64'), 'CONFIG_X86_KERNEL_IBT=y\n');
  const config = new Map([['CONFIG_BPF', 'y'], ['CONFIG_BPF_TEST_MOD', 'y']]);
  t.same(configGaps(d, config, 'x86_64'), ['CONFIG_NET_SCH_BPF (wants y, has unset)', 'CONFIG_X86_KERNEL_IBT (wants y, has unset)'], '=m is met by =y');
});
