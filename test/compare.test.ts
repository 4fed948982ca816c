// compare's verdicts and table on a pair of results (shaped as the runner records them).
import t from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareRuns, formatComparison, type Comparison } from '../harness/compare/compare.js';
import { cli } from './helpers/cli.js';
import { comparisonJunit } from '../harness/compare/junit.js';
import type { ProgramResult, RunResult, StepResult } from '../harness/results/model.js';
import type { Scenario } from '../harness/scenario/types.js';

const step = (id: string, o: Partial<StepResult>): StepResult => ({ id, kind: 'load', outcome: 'pass', durationMs: 1, failures: [], artifacts: [], ...o });
const scenario: Scenario = {
  file: '/x/s.yaml', name: 's', tags: [], kernels: ['a', 'b'], requires: { kconfig: [] }, programs: {}, fresh: false, network: false, normalize: [], selftests: [], unpriv: 'run', deny: {}, program_overrides: {},
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
  t.match(text, /\nlog changes:\n  s\.yaml declared:\n(    .*\n)*    -ok\n    \+calling kernel function f is not allowed\n/, 'each diff under the name of its row');
  t.match(text, /4 steps compared: 2 changed, 2 unexpected\n$/);
  const xml = comparisonJunit(c);
  t.match(xml, /<testsuite name="compare a -&gt; b" tests="4" failures="2">/);
  t.match(xml, /<testcase classname="s" name="undeclared">\s*<failure message="unexpected change">/);
});

t.test('the kernels each side ran, as the run resolved and opened them, head the summary', async (t) => {
  const withKernels: RunResult = { ...run, kernels: [
    { name: 'a', arch: 'x86_64', source: 'debian-image', release: '6.12.57+deb12-amd64', origin: 'linux-image-6.12.57+deb12-amd64 6.12.57-1~bpo12+1' },
    { name: 'b', arch: 'x86_64', source: 'path', release: '6.12.0' },
  ] };
  const c = compareRuns(withKernels, [scenario], 'a', 'b', () => 's.yaml');
  t.same(c.kernels?.patched, { name: 'b', arch: 'x86_64', source: 'path', release: '6.12.0' });
  t.match(formatComparison(c), /\nbase a: 6\.12\.57\+deb12-amd64, x86_64, linux-image-6\.12\.57\+deb12-amd64 6\.12\.57-1~bpo12\+1\npatched b: 6\.12\.0, x86_64\n\n4 steps compared/);
  t.notOk(compareRuns(run, [scenario], 'a', 'b', () => 's.yaml').kernels, 'results written before the kernels were kept compare as before');
});

t.test('selftests: program by program, veristat-style deltas over a threshold', async (t) => {
  const prog = (prog: string, o: Partial<ProgramResult>): ProgramResult => ({ file: 'v.c', prog, mode: 'priv', outcome: 'pass', failures: [], loaded: true, ...o });
  const st: Scenario = { ...scenario, file: '/x/st.yaml', steps: [], selftests: [{ tree: 'v.c' }], program_overrides: { b: { 'v.c/declared': { skip: 'changed on purpose' } } } };
  const runs: RunResult = {
    startedAt: '', durationMs: 0, target: 'qemu', outDir: '', scenarios: [
      { file: 'st.yaml', name: 'st', kernel: 'a', outcome: 'pass', durationMs: 1, steps: [], programs: [
        prog('same', { stats: { insns: 100, states: 10 }, logHash: 'h1' }),
        prog('small', { stats: { insns: 100, states: 10 } }),
        prog('big', { stats: { insns: 100, states: 10 } }),
        prog('flips', { loaded: false, errno: 'EACCES', logHash: 'x' }),
        prog('gone', {}),
        prog('declared', {}),
      ] },
      { file: 'st.yaml', name: 'st', kernel: 'b', outcome: 'fail', durationMs: 1, steps: [], programs: [
        prog('same', { stats: { insns: 100, states: 10 }, logHash: 'h1' }),
        prog('small', { stats: { insns: 102, states: 10 } }),
        prog('big', { stats: { insns: 150, states: 9 } }),
        prog('flips', { loaded: true, outcome: 'fail', reason: 'the program loaded, but its tags say the load must fail (__failure)' }),
        prog('new', {}),
        prog('declared', { outcome: 'skip', reason: 'changed on purpose', loaded: undefined }),
      ] },
    ],
  };
  const c = compareRuns(runs, [st], 'a', 'b', () => 'st.yaml', 5);
  const rows = c.programs!.rows;
  t.same(rows.map((r) => r.program), ['v.c/declared', 'v.c/flips', 'v.c/gone', 'v.c/new', 'v.c/big'], 'presence and verdict changes first, then by size');
  t.equal(c.programs!.unchanged, 2, 'same, and small (a +2% delta under the threshold)');
  const by = Object.fromEntries(rows.map((r) => [r.program, r]));
  t.same(by['v.c/big']!.changes, ['insns', 'states']);
  t.same([by['v.c/big']!.insnsDelta, by['v.c/big']!.insnsPct, by['v.c/big']!.statesDelta], [50, 50, -1]);
  t.same(by['v.c/flips']!.changes, ['verdict', 'log', 'outcome']);
  t.equal(by['v.c/flips']!.expected, false, 'a program that now fails is a regression');
  t.equal(by['v.c/declared']!.expected, true, 'declared in expect_by_kernel');
  t.same(by['v.c/new']!.changes, ['added']);
  t.same(by['v.c/gone']!.changes, ['removed']);
  t.equal(c.unexpected, 1);
  const text = formatComparison(c);
  t.match(text, /v\.c\/big +success +success +insns\+states +insns 100 -> 150 \+50 \(\+50%\), states 10 -> 9 -1 \(-10%\)/);
  t.match(text, /v\.c\/flips +failure EACCES +success FAIL +verdict\+log\+outcome UNEXPECTED/);
  t.match(text, /5 listed, 2 unchanged \(stats deltas under 5% not counted as changes\)/);
  t.match(comparisonJunit(c), /<testcase classname="st\.v\.c" name="flips">\s*<failure message="unexpected change">/);
});

t.test('a patched kernel that does not boot: "boot failed: TITLE" is the verdict of every step, and one row for a selftests scenario', async (t) => {
  const title = 'kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)';
  const st: Scenario = { ...scenario, file: '/x/st.yaml', name: 'st', steps: [], selftests: [{ tree: 'v.c' }] };
  const failed = (file: string, name: string) => ({ file, name, kernel: 'b', outcome: 'fail' as const, durationMs: 0, steps: [], reason: `boot failed: ${title}`, bootFailed: title });
  const runs: RunResult = {
    ...run, scenarios: [
      run.scenarios[0]!,
      failed('s.yaml', 's'),
      { file: 'st.yaml', name: 'st', kernel: 'a', outcome: 'pass', durationMs: 1, steps: [], programs: [{ file: 'v.c', prog: 'p', mode: 'priv', outcome: 'pass', failures: [], loaded: true }] },
      failed('st.yaml', 'st'),
    ],
  };
  const c = compareRuns(runs, [scenario, st], 'a', 'b', (s) => (s.name === 'st' ? 'st.yaml' : 's.yaml'));
  t.same(c.steps.map((s) => [s.step, s.patched.verdict, s.expected]), scenario.steps.map((s) => [s.id, `boot failed: ${title}`, false]), 'each step: a verdict of its own, unexpected');
  t.same(c.programs!.rows.map((r) => [r.program, r.base?.verdict, r.patched?.verdict, r.changes, r.expected]), [['(boot)', 'booted', `boot failed: ${title}`, ['verdict'], false]], 'one row, not every program "removed"');
  t.match(formatComparison(c), /s\.yaml same +loaded +boot failed: kernel panic: VFS:… +- +- +verdict UNEXPECTED\ns\.yaml declared/, 'no log diff against a kernel that printed none');
  t.match(formatComparison(c), /\(boot\) +booted +boot failed: kernel panic: VFS:… +verdict UNEXPECTED\n  1 listed/);
});

t.test('logs are compared without what differs between any two builds or boots', async (t) => {
  const sc: Scenario = {
    ...scenario, file: '/x/k.yaml', expect_by_kernel: {},
    steps: [
      { id: 'ejected', kind: 'dmesg', within_ms: 1000, expect: {}, line: 1, col: 1 },
      { id: 'cut', kind: 'load', load: 'p', via: 'prog', as: 'root', expect: {}, line: 1, col: 1 },
      { id: 'moved', kind: 'dmesg', within_ms: 1000, expect: {}, line: 1, col: 1 },
    ] as Scenario['steps'],
  };
  // Recorded on scx-6.12 and scx-6.12-kfunc-filter (select_cpu_dispatch_dbl_dsp, scx_qmap's log cut at its size limit), shortened.
  const dmesg = (comm: string, tag: string, noise: string) =>
    `sched_ext: BPF scheduler "d" disabled (runtime error)\n${noise}sched_ext: d: ${comm} already direct-dispatched\n   bpf_prog_${tag}_d_select_cpu+0x51/0x58\n   select_task_rq_scx+0xcd/0x144\n`;
  const runs: RunResult = {
    startedAt: '', durationMs: 0, target: 'qemu', outDir: '', scenarios: ['a', 'b'].map((kernel, i) => ({
      file: 'k.yaml', name: 'k', kernel, outcome: 'pass' as const, durationMs: 1, steps: [
        step('ejected', { kind: 'dmesg', log: i ? dmesg('kworker/u8:0[77]', '34a8feeeeaba56a0', 'hrtimer: interrupt took 3823952 ns\n') : dmesg('bpftool[1190]', 'ae3e05ad3e29c6dd', '') }),
        step('cut', { loaded: true, log: `# prog a\n116: (07) r1 += -136\n117: (85) call bpf_iter_num_d${i ? 'e' : ''}\n# prog b\nok` }),
        step('moved', { kind: 'dmesg', log: `sched_ext: d: ${i ? 'other' : 'some'} error\n` }),
      ],
    })),
  };
  const c = compareRuns(runs, [sc], 'a', 'b', () => 'k.yaml');
  const by = Object.fromEntries(c.steps.map((s) => [s.step, s]));
  t.equal(by.ejected!.logChanged, false, 'the task that happened to run, backtrace frames and timing complaints are not a change');
  t.equal(by.cut!.logChanged, false, 'nor where a cut log happens to end');
  t.equal(by.moved!.logChanged, true, 'a different message is');
});

t.test("load steps' programs: per-program stats deltas, as veristat -C shows a scheduler's", async (t) => {
  const sc: Scenario = { ...scenario, file: '/x/sched.yaml', expect_by_kernel: {}, steps: [scenario.steps[0]!] };
  const prog = (name: string, insns: number, states: number) => ({ file: 'sched.bpf.o', prog: name, mode: 'priv' as const, loaded: true, stats: { insns, states } });
  const runs: RunResult = {
    startedAt: '', durationMs: 0, target: 'qemu', outDir: '', scenarios: [
      { file: 'sched.yaml', name: 'sched', kernel: 'a', outcome: 'pass', durationMs: 1, steps: [
        step('same', { loaded: true, log: 'L\n', stats: { insns: 200, states: 20 }, programs: [prog('enqueue', 100, 10), prog('dispatch', 200, 20), prog('init', 50, 5)] }),
      ] },
      { file: 'sched.yaml', name: 'sched', kernel: 'b', outcome: 'pass', durationMs: 1, steps: [
        step('same', { loaded: true, log: 'L\n', stats: { insns: 200, states: 20 }, programs: [prog('enqueue', 102, 10), prog('dispatch', 150, 20), { ...prog('init', 10, 1), loaded: false }] }),
      ] },
    ],
  };
  const c = compareRuns(runs, [sc], 'a', 'b', () => 'sched.yaml', 5);
  t.same(c.stepPrograms?.rows.map((r) => [r.program, r.changes, r.insnsDelta]), [['same/dispatch', ['insns'], -50]], 'only the change at or above 5%');
  t.equal(c.stepPrograms?.unchanged, 1, 'enqueue (+2%) is counted as unchanged; init, refused on one side, is the step\'s verdict change, not a row here');
  t.equal(c.unexpected, 0, 'stats of one callback are not a regression by themselves');
  const text = formatComparison(c);
  t.match(text, /load step programs \(a -> b\):\n  program +a +b +change +stats\n  sched\.yaml same\/dispatch +success +success +insns +insns 200 -> 150 -50 \(-25%\)/);
  t.match(text, /2 load step programs: 1 with stats deltas/);
});

t.test('compare --base-results/--patched-results: two saved runs, no guests', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'compare-saved-'));
  // A scenario file that declares the change on kernel b; results that name it.
  const file = join(dir, 's.yaml');
  writeFileSync(file, [
    'name: s', 'kernels: [debian-6.12]', 'programs: {p: p.bpf.c}',
    'steps:', '  - {id: declared, load: p}', '  - {id: undeclared, load: p}',
    'expect_by_kernel:', '  b: {declared: {loaded: false, errno: EACCES}}', '',
  ].join('\n'));
  writeFileSync(join(dir, 'p.bpf.c'), '');
  const saved = (kernel: string, steps: StepResult[]) => {
    const f = join(dir, `${kernel}.json`);
    writeFileSync(f, JSON.stringify({ startedAt: '2026-11-28T17:00:00.000Z', durationMs: 1, target: 'qemu', outDir: dir, scenarios: [{ file, name: 's', kernel, outcome: 'pass', durationMs: 1, steps }] }));
    return f;
  };
  const a = saved('a', [step('declared', { loaded: true, log: 'ok\n' }), step('undeclared', { loaded: true, log: 'ok\n', stats: { insns: 10, states: 1 } })]);
  const b = saved('b', [step('declared', { loaded: false, errno: 'EACCES', log: 'no\n' }), step('undeclared', { loaded: true, log: 'ok\n', stats: { insns: 10, states: 1 } })]);
  const csv = join(dir, 'both.csv');
  const r = await cli(['compare', '--base-results', a, '--patched-results', b, '--csv', csv]);
  t.equal(r.exitCode, 0, 'every change declared in the scenario file', { output: r.all });
  t.match(r.stdout, /s\.yaml declared +loaded +EACCES +- +- +verdict\+log \(expected\)/);
  t.match(r.stdout, /2 steps compared: 1 changed, 0 unexpected/);
  t.ok(existsSync(csv), '--csv written');

  // The file gone: the results alone declare nothing, so the change is unexpected.
  rmSync(file);
  const gone = await cli(['compare', '--base-results', a, '--patched-results', b, '--reporter', 'json']);
  t.equal(gone.exitCode, 1);
  t.equal((JSON.parse(gone.stdout) as Comparison).unexpected, 1);

  // One kernel's name on both sides: the base is told apart.
  const same = await cli(['compare', '--base-results', a, '--patched-results', a]);
  t.match(same.stdout, /base a \(base\) +patched a/);
  const half = await cli(['compare', '--base-results', a]);
  t.equal(half.exitCode, 2);
  t.match(half.stderr, /--patched-results is missing/);
  const withPaths = await cli(['compare', '--base-results', a, '--patched-results', b, 'scenarios/basics']);
  t.equal(withPaths.exitCode, 2);
  t.match(withPaths.stderr, /scenario paths given with saved results/);
});

t.test('runner tests: new failures first with their log, then fixes, then tests that appear or vanish', async (t) => {
  const sc: Scenario = { ...scenario, steps: [], expect_by_kernel: {}, runner: { name: 'test_progs', allow: [], deny: {}, tree_denylist: true, test_timeout: 600 } };
  const tp = (test: string, subtest: string | undefined, outcome: 'pass' | 'fail' | 'skip', more: object = {}) => ({ runner: 'test_progs', test, ...(subtest ? { subtest } : {}), number: '#1', outcome, ...more });
  const runs: RunResult = {
    startedAt: '', durationMs: 0, target: 'qemu', outDir: '', scenarios: [
      { file: 's.yaml', name: 's', kernel: 'a', outcome: 'fail', durationMs: 1, steps: [], tests: [
        tp('align', 'mov', 'pass'), tp('bpf_cookie', 'kprobe', 'pass'), tp('atomics', undefined, 'fail', { reason: 'was broken', log: 'old log' }), tp('gone', undefined, 'pass'), tp('same', undefined, 'pass'),
      ] },
      { file: 's.yaml', name: 's', kernel: 'b', outcome: 'fail', durationMs: 1, steps: [], tests: [
        tp('align', 'mov', 'pass'), tp('bpf_cookie', 'kprobe', 'fail', { reason: 'bpf_cookie:FAIL:attach', log: 'line 1\nline 2' }), tp('atomics', undefined, 'pass'), tp('new_one', undefined, 'pass'), tp('same', undefined, 'pass'),
      ] },
    ],
  };
  const c = compareRuns(runs, [sc], 'a', 'b', () => 's.yaml');
  t.same(c.tests?.rows.map((r) => [r.name, r.change, r.expected]), [
    ['bpf_cookie/kprobe', 'new failure', false], ['atomics', 'fixed', true], ['new_one', 'appeared', true], ['gone', 'vanished', true],
  ]);
  t.equal(c.tests?.unchanged, 2);
  t.equal(c.unexpected, 1, 'a new failure is unexpected');
  const text = formatComparison(c);
  t.match(text, /bpf_cookie\/kprobe +pass +fail +new failure UNEXPECTED\n +bpf_cookie:FAIL:attach\n +\| line 1\n +\| line 2/);
  t.match(text, /6 runner tests compared: 4 changed, 1 unexpected/);
});
