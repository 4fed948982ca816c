// Scenarios that fail run again on fresh guests (--retries, 2 by default): one that then
// passes is reported flaky (k of n), one that fails on every try stays failed. compare
// counts neither a flaky failure nor a kernel log that differs under the same verdict.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from '../harness/results/model.js';
import { cli, fixture, outDir } from './helpers/cli.js';

const dir = fixture('scenarios', 'retries');

t.test('a scenario that fails once is flaky (1 of 2); one that fails on every try fails, each try on a fresh guest', async (t) => {
  const out = outDir();
  const junit = join(out, 'flaky-junit.xml');
  const r = await cli(['run', join(dir, 'first-try-fails.yaml'), join(dir, 'always-fails.yaml'), '--kernel', 'debian-6.12', '--out', out, '--reporter', 'spec', '--reporter', `junit=${junit}`]);
  t.equal(r.exitCode, 1, 'exit 1: a failure repeated', { output: r.all });
  t.match(r.stdout, /^PASS +test\/fixtures\/scenarios\/retries\/first-try-fails\.yaml \[debian-6\.12\] +[\d.]+s, flaky \(1 of 2\)$/m, 'flaky (1 of 2)');
  t.match(r.stdout, /^ +try 1: step attempt: exit: expected 0, got 1 \(debian-6_12\/test_fixtures_scenarios_retries_first-try-fails\)$/m, 'the failed try, why and where');
  t.match(r.stdout, /^FAIL +test\/fixtures\/scenarios\/retries\/always-fails\.yaml \[debian-6\.12\] +[\d.]+s, failed on all 3 tries$/m, 'failed on all 3 tries');
  t.match(r.stdout, /^1 passed, 1 failed, 0 skipped, 0 errors, 1 of the passed flaky \(/m, 'the summary counts the flaky pass');
  t.match(r.stderr, /first-try-fails\.yaml \[debian-6\.12\] failed \(step attempt: exit: expected 0, got 1\); running it again on a fresh guest \(try 2 of up to 3\)/);
  const run = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
  const flaky = run.scenarios.find((s) => s.file.endsWith('first-try-fails.yaml'))!;
  t.equal(flaky.outcome, 'pass');
  t.same(flaky.tries, { runs: 2, failed: [{ try: 1, reason: 'step attempt: exit: expected 0, got 1', artifactDir: 'debian-6_12/test_fixtures_scenarios_retries_first-try-fails' }] });
  t.match(flaky.steps[0]!.stdout, /^try 2$/m, 'the reported result is the passing try');
  const failed = run.scenarios.find((s) => s.file.endsWith('always-fails.yaml'))!;
  t.equal(failed.outcome, 'fail');
  t.same(failed.tries?.failed.map((f) => f.try), [1, 2, 3]);
  t.match(failed.steps[0]!.stdout, /^try 1$/m, 'a repeated failure reports its first try');
  for (const n of [2, 3]) t.ok(existsSync(join(out, 'debian-6_12', `test_fixtures_scenarios_retries_always-fails-try-${n}`, 'attempt.run.txt')), `try ${n} has artifacts of its own`);
  // Each try on a guest of its own: a fresh guest is acquired for every retry.
  t.ok((r.stderr.match(/guest ready over SSH/g) ?? []).length >= 4, 'a guest for the first tries, and one per retry');
  t.match(readFileSync(junit, 'utf8'), /<system-out>flaky \(1 of 2\):\ntry 1: step attempt: exit: expected 0, got 1/, 'junit: the flaky pass says so');
});

t.test('--retries 0: the first failure is the verdict', async (t) => {
  const r = await cli(['run', join(dir, 'first-try-fails.yaml'), '--kernel', 'debian-6.12', '--retries', '0', '--out', outDir(), '-q']);
  t.equal(r.exitCode, 1, 'exit 1', { output: r.all });
  t.match(r.stdout, /^FAIL +test\/fixtures\/scenarios\/retries\/first-try-fails\.yaml/m);
  t.notMatch(r.stdout, /flaky \(|failed on all|try 1:/);
});

t.test('compare counts neither a flaky failure nor a kernel log that differs under the same verdict; exact_logs: true counts the log', async (t) => {
  const r = await cli(['compare', '--base', 'debian-6.12', '--patched', 'debian-6.1', join(dir, 'first-try-fails.yaml'), join(dir, 'release-in-log.yaml'), '--out', outDir(), '-q']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  t.match(r.stdout, /retries\/first-try-fails\.yaml attempt +exit 0 +exit 0 .* same/, 'the flaky scenario: no change');
  t.match(r.stdout, /retries\/release-in-log\.yaml logged +matched +matched .* kernel log only \(not counted\)/, 'the log: shown, not counted');
  t.match(r.stdout, /\+bpf-harness-test: release 6\.1\./, 'with its diff');
  t.match(r.stdout, /, 0 unexpected$/m);
  const exact = await cli(['compare', '--base', 'debian-6.12', '--patched', 'debian-6.1', fixture('scenarios', 'retries-exact', 'release-exact.yaml'), '--out', outDir(), '-q']);
  t.equal(exact.exitCode, 1, 'exact_logs: exit 1', { output: exact.all });
  t.match(exact.stdout, /release-exact\.yaml logged +matched +matched .* log UNEXPECTED/);
});

t.test('known_crashes: a crash the scenario declares known on the kernel is reported, not failed; any other still fails it', async (t) => {
  const out = outDir();
  const r = await cli(['run', fixture('scenarios', 'faults', 'known-warning.yaml'), '--out', out]);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all });
  t.match(r.stdout, /^PASS +test\/fixtures\/scenarios\/faults\/known-warning\.yaml/m);
  t.match(r.stdout, /known kernel issue \(not failed\): WARNING in bpf_harness_test_known \(kernel\/bpf\/harness_test\.c:9\) \(debian-6_12\/test_fixtures_scenarios_faults_known-warning\/known-crash\.txt\): a test's own line/);
  const run = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResult;
  t.equal(run.scenarios[0]!.knownCrashes?.[0]?.title, 'WARNING in bpf_harness_test_known (kernel/bpf/harness_test.c:9)');
  t.match(readFileSync(join(out, 'debian-6_12', 'test_fixtures_scenarios_faults_known-warning', 'known-crash.txt'), 'utf8'), /bpf_harness_test_known\+0x0\/0x10/, 'its excerpt kept');
  t.match(r.stderr, /replacing it \(known kernel issue: WARNING in bpf_harness_test_known/, 'the guest it tainted is replaced');

  const other = await cli(['run', fixture('scenarios', 'faults', 'known-then-other.yaml'), '--retries', '0', '--out', outDir(), '--reporter', 'json', '-q']);
  t.equal(other.exitCode, 1, 'exit 1', { output: other.all });
  const failed = (JSON.parse(other.stdout) as RunResult).scenarios[0]!;
  t.equal(failed.crash?.title, 'WARNING in bpf_harness_test_other (kernel/bpf/harness_test.c:12)', 'the undeclared one fails it');
  t.equal(failed.knownCrashes?.[0]?.title, 'WARNING in bpf_harness_test_known (kernel/bpf/harness_test.c:9)', 'the known one is listed too');
});
