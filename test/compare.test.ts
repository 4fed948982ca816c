// compare's verdicts and table on a pair of results (shaped as the runner records them).
import t from 'tap';
import { compareRuns, formatComparison } from '../harness/compare/compare.js';
import { comparisonJunit } from '../harness/compare/junit.js';
import type { RunResult, StepResult } from '../harness/results/model.js';
import type { Scenario } from '../harness/scenario/types.js';

const step = (id: string, o: Partial<StepResult>): StepResult => ({ id, kind: 'load', outcome: 'pass', durationMs: 1, failures: [], artifacts: [], ...o });
const scenario: Scenario = {
  file: '/x/s.yaml', name: 's', tags: [], kernels: ['a', 'b'], requires: { kconfig: [] }, programs: {}, fresh: false, normalize: [], selftests: [], unpriv: 'run', deny: {}, program_overrides: {},
  steps: ['same', 'declared', 'undeclared', 'broken'].map((id) => ({ id, kind: 'load' as const, load: 'p', via: 'prog' as const, as: 'root' as const, expect: {}, line: 1, col: 1 })),
  expect_by_kernel: { b: { declared: { loaded: false, errno: 'EACCES' } } },
};
const run: RunResult = {
  startedAt: '', durationMs: 0, target: 'qemu', outDir: '', scenarios: [
    { file: 's.yaml', name: 's', kernel: 'a', outcome: 'pass', durationMs: 1, steps: [
      step('same', { loaded: true, log: 'L\n', stats: { insns: 10, states: 1 } }),
      step('declared', { loaded: true, log: 'ok\n', stats: { insns: 10, states: 1 } }),
      step('undeclared', { loaded: true, log: 'ok\n', stats: { insns: 10, states: 1 } }),
      step('broken', { loaded: true, log: 'x\n' }),
    ] },
    { file: 's.yaml', name: 's', kernel: 'b', outcome: 'fail', durationMs: 1, steps: [
      step('same', { loaded: true, log: 'L\n', stats: { insns: 10, states: 1 } }),
      step('declared', { loaded: false, errno: 'EACCES', log: 'calling kernel function f is not allowed\n' }),
      step('undeclared', { loaded: true, log: 'ok\n', stats: { insns: 14, states: 2 } }),
      step('broken', { loaded: true, log: 'x\n', outcome: 'fail' }),
    ] },
  ],
};

t.test('verdicts, deltas, expected and unexpected', async (t) => {
  const c = compareRuns(run, [scenario], 'a', 'b', () => 's.yaml');
  const by = Object.fromEntries(c.steps.map((s) => [s.step, s]));
  t.same([by.same!.changed, by.same!.expected], [false, true]);
  t.same([by.declared!.changed, by.declared!.verdictChanged, by.declared!.expected, by.declared!.patched.verdict], [true, true, true, 'EACCES']);
  t.same([by.undeclared!.changed, by.undeclared!.expected, by.undeclared!.insnsDelta, by.undeclared!.statesDelta], [true, false, 4, 1]);
  t.same([by.broken!.changed, by.broken!.expected], [false, false], 'unchanged but failing on the patched kernel');
  t.equal(c.unexpected, 2);
  const text = formatComparison(c);
  t.match(text, /s\.yaml undeclared +loaded +loaded +10\/14\/\+4 +1\/2\/\+1 +stats UNEXPECTED/);
  t.match(text, /s\.yaml declared +loaded +EACCES .* verdict\+log \(expected\)/);
  t.match(text, /\n    -ok\n    \+calling kernel function f is not allowed\n/);
  t.match(text, /4 steps compared: 2 changed, 2 unexpected\n$/);
  const xml = comparisonJunit(c);
  t.match(xml, /<testsuite name="compare a -&gt; b" tests="4" failures="2">/);
  t.match(xml, /<testcase classname="s" name="undeclared">\s*<failure message="unexpected change">/);
});
