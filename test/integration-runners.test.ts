// The tree's own runners in a real guest: test_verifier built from selftests-6.12's tree
// (the tree's selftests Makefile, the kernel's BTF and UAPI headers), run in a 1 GiB
// guest, and read test by test; the scenario's allow list keeps some, its deny list
// skips one with its reason.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { RunResult } from '../harness/results/model.js';
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
