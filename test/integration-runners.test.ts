// The tree's own runners in a real guest: test_verifier and test_progs built from
// selftests-6.12's tree (the tree's selftests Makefile, the kernel's BTF and UAPI
// headers), run in a 1 GiB guest, and read test by test; the scenario's allow list keeps
// some, its deny list skips one with its reason; a test that panics the kernel costs that
// test, and the rest run on a fresh guest.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { RunResult, RunnerTest } from '../harness/results/model.js';
import { PANIC_HOOK_ENV } from '../harness/runners/test-progs-run.js';
import { cli, fixture, outDir } from './helpers/cli.js';

t.test('test_verifier on selftests-6.12: the allowed tests judged mode by mode, the denied one skipped with its reason', async (t) => {
  const out = outDir();
  const r = await cli(['run', fixture('scenarios', 'runners', 'test_verifier-junk.yaml'), '--out', out]);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  const run = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
  const tests = run.scenarios[0]?.tests ?? [];
  t.ok(tests.length >= 8 && tests.every((x) => x.runner === 'test_verifier' && x.test.startsWith('junk insn')), `only the junk insn tests (${tests.length})`, { tests: tests.map((x) => x.test) });
  t.same(tests.filter((x) => x.test === 'junk insn2').map((x) => [x.subtest, x.outcome, x.reason]), [
    ['u', 'skip', 'denied (the scenario: denied by this fixture, to see a deny reason reach the results)'],
    ['p', 'skip', 'denied (the scenario: denied by this fixture, to see a deny reason reach the results)'],
  ]);
  t.ok(tests.filter((x) => x.test !== 'junk insn2').every((x) => x.outcome === 'pass'), 'the others pass');
  const log = join(out, 'selftests-6_12', 'test_fixtures_scenarios_runners_test_verifier-junk', 'test_verifier.log');
  t.ok(existsSync(log), "the runner's whole output kept");
  t.match(readFileSync(log, 'utf8'), /^Summary: \d+ PASSED, \d+ SKIPPED, 0 FAILED$/m);
});

t.test('a runner not read test by test yet is skipped, saying so, before anything is built or booted', async (t) => {
  const out = outDir();
  const r = await cli(['run', fixture('scenarios', 'runners', 'test_maps-unread.yaml'), '--out', out]);
  t.equal(r.exitCode, 0, 'a skip is not a failure', { output: r.all });
  const run = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
  t.same(run.scenarios.map((s) => [s.outcome, s.reason]), [['skip', 'runner: test_maps is not read test by test yet (only test_verifier, test_progs, test_progs-no_alu32, test_progs-cpuv4 are)']]);
  t.notMatch(r.all, /booting|building test_progs/, 'nothing booted or built');
});

const testsOf = (out: string): RunnerTest[] => (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult).scenarios[0]?.tests ?? [];
const row = (x: RunnerTest) => `${x.number} ${x.test}${x.subtest ? `/${x.subtest}` : ''} ${x.outcome}`;

t.test('test_progs on selftests-6.12: the allowed tests judged subtest by subtest; list shows them numbered', async (t) => {
  const file = fixture('scenarios', 'runners', 'test_progs-small.yaml');
  const listed = await cli(['list', file]);
  t.equal(listed.exitCode, 0, 'list', { output: listed.all });
  t.match(listed.stdout, /^ {4}#2 +align$/m, 'numbered as the runner numbers them');
  t.match(listed.stdout, /#24 +bpf_nf {2}\(denied \(the scenario: denied by this fixture/);
  const out = outDir();
  const r = await cli(['run', file, '--out', out]);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  const tests = testsOf(out);
  const rows = tests.map(row);
  t.ok(rows.includes('#2/1 align/mov pass') && rows.includes('#2 align pass'), 'subtests and the test itself', { rows });
  t.same(tests.filter((x) => x.test === 'bpf_cookie').map(row), ['#17/1 bpf_cookie/kprobe pass', '#17 bpf_cookie pass'], 'only the allowed subtest');
  t.same(tests.filter((x) => x.test === 'bpf_nf').map((x) => [row(x), x.reason]), [['#24 bpf_nf skip', 'denied (the scenario: denied by this fixture, to see a deny reason reach the results)']]);
  t.ok(tests.filter((x) => x.test !== 'bpf_nf').every((x) => x.outcome === 'pass'), 'the others pass', { rows });
});

t.test('test_progs: a test that panics the kernel fails with the console tail; the tests after it run on a fresh guest', async (t) => {
  const out = outDir();
  const r = await cli(['run', fixture('scenarios', 'runners', 'test_progs-crash.yaml'), '--out', out], { [PANIC_HOOK_ENV]: 'atomics' });
  t.equal(r.exitCode, 1, 'a failure', { output: r.all });
  const tests = testsOf(out);
  t.same(tests.filter((x) => !x.subtest).map(row), ['#2 align pass', '#10 atomics fail', '#458 verifier_and pass'], 'the crash cost atomics only', { rows: tests.map(row) });
  const crashed = tests.find((x) => x.test === 'atomics' && !x.subtest)!;
  t.match(crashed.reason, /^crashed the kernel \(kernel panic: sysrq triggered crash\) \(again on a fresh guest\)$/, 'run once more alone, and it crashed again');
  t.match(crashed.log, /--- console tail ---[\s\S]*sysrq/);
  t.match(r.all, /atomics crashed the kernel .*the 1 test\(s\) after it go on in a fresh guest/);
  t.ok(tests.filter((x) => x.test === 'verifier_and').length > 1, 'verifier_and ran its subtests on the new guest');
});

t.test('test_progs: a failing subtest carries its log; it ran once more on a fresh guest before it was believed', async (t) => {
  const out = outDir();
  const r = await cli(['run', fixture('scenarios', 'runners', 'test_progs-fails.yaml'), '--out', out]);
  t.equal(r.exitCode, 1, 'a failure', { output: r.all });
  const tests = testsOf(out);
  const failed = tests.find((x) => x.subtest === 'nofault-paged-out')!;
  t.equal(failed?.outcome, 'fail', 'the subtest failed', { rows: tests.map(row) });
  t.match(failed.reason, /build_id_status.*\(again on a fresh guest\)$/, 'the failed check, twice');
  t.match(failed.log, /subtest_nofault:FAIL:build_id_status/, "the runner's log of that subtest");
  t.equal(tests.find((x) => x.test === 'build_id' && !x.subtest)?.outcome, 'fail');
  t.match(r.all, /test_progs #\d+\/\d+ build_id\/nofault-paged-out:\s+subtest_nofault:FAIL:build_id_status/, 'the headline names it');
  t.match(r.all, /runner tests and subtests: \d+ passed, 2 failed, 0 skipped/, 'the subtest and its test');
});

t.test('test_progs: allow and deny entries that name no test are bad input, where they are written', async (t) => {
  const out = outDir();
  const r = await cli(['run', fixture('scenarios', 'runners', 'test_progs-typo.yaml'), '--out', out]);
  t.equal(r.exitCode, 2, 'exit 2', { output: r.all });
  t.match(r.stderr, /test_progs-typo\.yaml:6:18: error: runner\.allow: "bpf_cookiez\/kprobe" names no test of selftests-6\.12's test_progs/);
  t.match(r.stderr, /test_progs-typo\.yaml:8:5: error: runner\.deny: "no_such_test" names no test/);
  t.notMatch(r.all, /booting|building test_progs/, 'nothing booted or built');
});
