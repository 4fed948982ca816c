import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Parser, type FinalResults, type Result } from 'tap-parser';
import { create } from 'xmlbuilder2';
import { makeReporter, type ReporterName } from '../harness/reporters/reporter.js';
import type { RunResult, ScenarioResult, StepResult } from '../harness/results/model.js';
import { checkGolden, checkLoad } from '../harness/expect/check.js';
import { normalizeLog } from '../harness/expect/normalize.js';
import { parseLoadallOutput } from '../harness/bpftool/loadall-output.js';

const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
const realLog = (name: string) =>
  normalizeLog(parseLoadallOutput(readFileSync(path.join(root, 'test/fixtures/bpftool', name), 'utf8')).combinedLog);

function step(id: string, extra: Partial<StepResult> = {}): StepResult {
  return { id, kind: 'load', outcome: 'pass', durationMs: 100, failures: [], artifacts: [], ...extra };
}

// One of each outcome, over two kernels; the failure is real checker output on a real log.
function makeRun(): RunResult {
  const log = realLog('uninit_reg.txt');
  const failures = [
    ...checkLoad({ loaded: true, log: ['func#0 @0', 'invalid access # to packet'] }, { loaded: false, errno: 'EACCES', log }),
    checkGolden(log.replace('R2 !read_ok', 'R3 !read_ok'), log)!,
  ];
  const scenarios: ScenarioResult[] = [
    { file: 'basics/xdp-pass.yaml', name: 'xdp pass', kernel: 'debian-6.12', outcome: 'pass', durationMs: 120,
      steps: [step('load', { log: realLog('xdp_pass.txt'), loaded: true })] },
    { file: 'basics/uninit.yaml', name: 'uninit <reg> & "quotes" #1', kernel: 'debian-6.12', outcome: 'fail', durationMs: 250,
      steps: [step('load', { outcome: 'fail', log, loaded: false, errno: 'EACCES', failures })] },
    { file: 'token/x.yaml', name: 'token load', kernel: 'debian-6.1', outcome: 'skip', durationMs: 0, steps: [],
      reason: 'requires CONFIG_BPF_TOKEN=y' },
    { file: 'basics/xdp-pass.yaml', name: 'xdp pass', kernel: 'debian-6.1', outcome: 'error', durationMs: 3000, steps: [],
      reason: 'SSH connection lost', consoleTail: 'Kernel panic - not syncing\x1b[0m\n' },
  ];
  return { startedAt: '2026-11-23T06:20:00.000Z', durationMs: 3370, target: 'qemu', accel: 'tcg', scenarios, outDir: 'out/run-1' };
}

function drive(name: ReporterName, run: RunResult): { streamed: string; final: string } {
  const out = new PassThrough();
  let streamed = '';
  out.on('data', (d: Buffer) => (streamed += d.toString()));
  const r = makeReporter(name, out, { color: false });
  for (const s of run.scenarios) {
    r.scenarioStarted?.({ file: s.file, name: s.name, kernel: s.kernel });
    r.scenarioFinished(s);
  }
  const final = r.runFinished(run);
  return { streamed, final };
}

t.test('spec', async (t) => {
  const { streamed, final } = drive('spec', makeRun());
  const lines = streamed.split('\n');
  t.equal(lines[0], 'PASS  basics/xdp-pass.yaml [debian-6.12]  0.12s');
  t.equal(lines[1], 'FAIL  basics/uninit.yaml [debian-6.12]  0.25s');
  t.match(streamed, '      step load (load):\n        - expected the load to succeed, but it failed with EACCES\n');
  t.match(streamed, '        - log[1] "invalid access # to packet" not found after log[0] matched on line 2\n');
  t.match(streamed, '          pattern: invalid access # to packet\n          stopped at line 3; matched before it: [0] line 2\n');
  t.match(streamed, /\n            >> 3 \| Live regs before insn:\n/);
  t.match(streamed, /\n          -R3 !read_ok\n          \+R2 !read_ok\n/, 'golden diff, indented');
  t.match(streamed, '\nSKIP  token/x.yaml [debian-6.1]  requires CONFIG_BPF_TOKEN=y\n');
  t.match(streamed, '\nERROR basics/xdp-pass.yaml [debian-6.1]  3.00s\n      SSH connection lost\n      console:\n        Kernel panic');
  t.notMatch(streamed, /\x1b\[3\d?m/, 'no colors when asked for none');
  t.equal(final, '\n1 passed, 1 failed, 1 skipped, 1 errors (3.37s)\nartifacts: out/run-1\n');

  const out = new PassThrough();
  let colored = '';
  out.on('data', (d: Buffer) => (colored += d.toString()));
  makeReporter('spec', out, { color: true }).scenarioFinished(makeRun().scenarios[1]!);
  t.match(colored, '\x1b[31mFAIL \x1b[0m');
  t.equal(typeof makeReporter('spec', new PassThrough()).scenarioFinished, 'function', 'a non-TTY defaults to no color');
});

t.test('tap', async (t) => {
  const run = makeRun();
  const { streamed, final } = drive('tap', run);
  const text = streamed + final;
  t.match(text, /^TAP version 14\nok 1 - xdp pass \[debian-6\.12\]\nnot ok 2 - uninit <reg> & "quotes" \\#1 \[debian-6\.12\]\n  ---\n/);
  t.match(text, '\nok 3 - token load [debian-6.1] # SKIP requires CONFIG_BPF_TOKEN=y\n');
  t.match(text, /\n1\.\.4\n# 1 passed, 1 failed, 1 skipped, 1 errors \(3\.37s\)\n$/);

  const asserts: Result[] = [];
  const results = await new Promise<FinalResults>((resolve) => {
    const p = new Parser(resolve);
    p.on('assert', (a: Result) => asserts.push(a));
    p.end(text);
  });
  t.equal(results.count, 4);
  t.equal(results.pass, 2, 'pass and skip are ok');
  t.equal(results.fail, 2);
  t.equal(results.skip, 1);
  t.same(results.plan, { start: 1, end: 4, skipAll: false, skipReason: '', comment: '' });
  t.same(asserts.map((a) => a.name), ['xdp pass [debian-6.12]', 'uninit <reg> & "quotes" #1 [debian-6.12]', 'token load [debian-6.1]', 'xdp pass [debian-6.1]']);
  const diag = asserts[1]?.diag as Record<string, any>;
  t.equal(diag.file, 'basics/uninit.yaml');
  t.equal(diag.message, 'step load: expected the load to succeed, but it failed with EACCES (+2 more)');
  t.same(diag.failures.map((f: any) => f.expectation), ['loaded', 'log[1]', 'log_file']);
  const logFailure = diag.failures[1];
  t.equal(logFailure.pattern, 'invalid access # to packet');
  t.equal(logFailure.stopped_at_line, 3);
  t.same(logFailure.matched_before, [{ index: 0, pattern: 'func#0 @0', line: 2 }]);
  t.equal(logFailure.diff, run.scenarios[1]!.steps[0]!.failures[1]!.diff, 'the excerpt survives YAML');
  t.match(diag.failures[2].diff, /^--- log_file\texpected \(golden\)\n/);
  const err = asserts[3]?.diag as Record<string, any>;
  t.equal(err.outcome, 'error');
  t.equal(err.message, 'SSH connection lost');
  t.match(err.console_tail, 'Kernel panic');

  const empty = drive('tap', { ...run, scenarios: [] });
  t.equal(empty.streamed + empty.final, 'TAP version 14\n1..0\n# 0 passed, 0 failed, 0 skipped, 0 errors (3.37s)\n');
});

t.test('junit', async (t) => {
  const run = makeRun();
  const { streamed, final } = drive('junit', run);
  t.equal(streamed, '', 'written at the end only');
  t.match(final, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites /);
  t.notMatch(final, /\x1b/, 'control characters removed');
  const doc = create(final).end({ format: 'object' }) as Record<string, any>;
  const suites = doc.testsuites;
  t.same([suites['@tests'], suites['@failures'], suites['@errors'], suites['@skipped']], ['4', '1', '1', '1']);
  const bySuite = suites.testsuite as any[];
  t.same(bySuite.map((s) => [s['@name'], s['@tests'], s['@failures'], s['@errors'], s['@skipped']]), [
    ['debian-6.12', '2', '1', '0', '0'],
    ['debian-6.1', '2', '0', '1', '1'],
  ]);
  const [pass, fail] = bySuite[0].testcase as any[];
  t.equal(pass['@name'], 'xdp pass');
  t.equal(pass['@classname'], 'basics.xdp-pass');
  t.equal(pass['@time'], '0.120');
  t.match(pass['system-out'], /^== step load \(load\) ==\n# prog xdp_pass\n/);
  t.equal(fail['@name'], 'uninit <reg> & "quotes" #1', 'escaped and read back');
  t.equal(fail.failure['@type'], 'loaded');
  t.match(fail.failure['@message'], /^step load: expected the load to succeed/);
  t.match(fail.failure['#'], /log\[1\] "invalid access # to packet" not found[^]*>> 3 \| Live regs before insn:/);
  const [skip, error] = bySuite[1].testcase as any[];
  t.equal(skip.skipped['@message'], 'requires CONFIG_BPF_TOKEN=y');
  t.equal(error.error['@message'], 'SSH connection lost');
  t.equal(error.error['@type'], 'infrastructure');
  t.match(error.error['#'], 'Kernel panic - not syncing[0m');
});

t.test('json', async (t) => {
  const run = makeRun();
  const { streamed, final } = drive('json', run);
  t.equal(streamed, '');
  t.same(JSON.parse(final), run);
});
