import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Parser, type FinalResults, type Result } from 'tap-parser';
import { create } from 'xmlbuilder2';
import { makeReporter, type ReporterName } from '../harness/reporters/reporter.js';
import { colorEnabled } from '../harness/reporters/spec.js';
import { ReporterSet, parseReporter, type ReporterSpec } from '../harness/reporters/outputs.js';
import { markdownSummary, writeStepSummary } from '../harness/reporters/markdown.js';
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

// xmlbuilder2's parser is lenient, so well-formedness is checked here: one root,
// balanced tags, unique quoted attributes, only predefined or numeric entities.
function assertWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const TOKEN = /<\/([\w:.-]+)\s*>|<([\w:.-]+)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  const BAD_ENTITY = /&(?!(?:lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);)/i;
  const stack: string[] = [];
  let roots = 0;
  for (const m of body.matchAll(TOKEN)) {
    const at = `at offset ${m.index}`;
    if (m[6]) throw new Error(`stray '<' ${at}`);
    if (m[5] !== undefined) {
      if (stack.length === 0 && m[5].trim()) throw new Error(`text outside the root ${at}`);
      if (BAD_ENTITY.test(m[5]) || /[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(m[5])) throw new Error(`bad text ${at}`);
    } else if (m[1]) {
      if (stack.pop() !== m[1]) throw new Error(`unbalanced </${m[1]}> ${at}`);
    } else {
      if (stack.length === 0 && ++roots > 1) throw new Error(`second root ${at}`);
      const names = [...(m[3] ?? '').matchAll(/([\w:.-]+)="([^"]*)"/g)].map((a) => {
        if (BAD_ENTITY.test(a[2] ?? '')) throw new Error(`bad attribute ${a[1]} ${at}`);
        return a[1];
      });
      if (new Set(names).size !== names.length) throw new Error(`duplicate attribute ${at}`);
      if (!m[4]) stack.push(m[2]!);
    }
  }
  if (stack.length || roots !== 1) throw new Error(`unclosed ${stack.join(', ')}`);
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
  t.match(streamed, /\n {10}-invalid access # to packet\n {11}Live regs before insn:\n/, 'diff indented under its failure');
  t.match(streamed, /\n          -R3 !read_ok\n          \+R2 !read_ok\n/, 'golden diff, indented');
  t.match(streamed, '\nSKIP  token/x.yaml [debian-6.1]  requires CONFIG_BPF_TOKEN=y\n');
  t.match(streamed, '\nERROR basics/xdp-pass.yaml [debian-6.1]  3.00s\n      SSH connection lost\n      console:\n        Kernel panic');
  t.notMatch(streamed, /\x1b\[3\d?m/, 'no colors when asked for none');
  t.equal(final, [
    '', '2 not passed:',
    '  FAIL basics/uninit.yaml [debian-6.12]: step load: expected the load to succeed, but it failed with EACCES (+2 more)',
    '  ERROR basics/xdp-pass.yaml [debian-6.1]: SSH connection lost',
    '', '1 passed, 1 failed, 1 skipped, 1 errors (3.37s)', 'artifacts: out/run-1', '',
  ].join('\n'), 'the failures once more, a line each, before the counts');

  const out = new PassThrough();
  let colored = '';
  out.on('data', (d: Buffer) => (colored += d.toString()));
  makeReporter('spec', out, { color: true }).scenarioFinished(makeRun().scenarios[1]!);
  t.match(colored, '\x1b[31mFAIL \x1b[39m');
  t.equal(typeof makeReporter('spec', new PassThrough()).scenarioFinished, 'function', 'a non-TTY defaults to no color');
  const tty = Object.assign(new PassThrough(), { isTTY: true });
  t.equal(colorEnabled(tty, {}), true, 'a terminal gets colours');
  t.equal(colorEnabled(tty, { NO_COLOR: '1' }), false, 'NO_COLOR turns them off');
  t.equal(colorEnabled(new PassThrough(), { FORCE_COLOR: '1' }), true, 'FORCE_COLOR turns them on in a pipe');
  t.equal(colorEnabled(tty, { FORCE_COLOR: '0', NO_COLOR: '' }), false, 'FORCE_COLOR=0 turns them off');
  t.equal(colorEnabled(new PassThrough(), { FORCE_COLOR: '1', NO_COLOR: '1' }), true, 'FORCE_COLOR wins over NO_COLOR');
});

t.test('tap', async (t) => {
  const run = makeRun();
  const { streamed, final } = drive('tap', run);
  const text = streamed + final;
  // Steps are test points of their scenario's subtest.
  t.match(text, /^TAP version 14\n# Subtest: xdp pass \[debian-6\.12\]\n {4}ok 1 - load \(load\)\n {4}1\.\.1\nok 1 - xdp pass \[debian-6\.12\]\n/);
  t.match(text, /\n# Subtest: uninit <reg> & "quotes" \\#1 \[debian-6\.12\]\n {4}not ok 1 - load \(load\)\n {6}---\n {6}failures:\n {8}- step: load\n {10}expectation: loaded\n/);
  t.match(text, /\n {4}1\.\.1\nnot ok 2 - uninit <reg> & "quotes" \\#1 \[debian-6\.12\]\n  ---\n/);
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
  t.doesNotThrow(() => assertWellFormed(final), 'well-formed');
  t.throws(() => assertWellFormed('<a><b></a>'), /unbalanced/, 'the checker checks');
  t.throws(() => assertWellFormed('<a x="&bogus;"/>'), /bad attribute/);

  // Read back through a DOM, which decodes entities.
  const root = create(final).root().node as unknown as Element;
  const attrs = (e: Element, ...names: string[]) => names.map((n) => e.getAttribute(n));
  const child = (e: Element, tag: string) => [...e.childNodes].find((n) => n.nodeName === tag) as Element;
  t.equal(root.nodeName, 'testsuites');
  t.same(attrs(root, 'tests', 'failures', 'errors', 'skipped', 'time'), ['4', '1', '1', '1', '3.370']);
  const suites = [...root.childNodes].filter((n) => n.nodeName === 'testsuite') as Element[];
  t.same(suites.map((s) => attrs(s, 'name', 'tests', 'failures', 'errors', 'skipped')), [
    ['debian-6.12', '2', '1', '0', '0'],
    ['debian-6.1', '2', '0', '1', '1'],
  ]);
  const cases = (s: Element) => [...s.childNodes].filter((n) => n.nodeName === 'testcase') as Element[];
  const [pass, fail] = cases(suites[0]!);
  t.same(attrs(pass!, 'name', 'classname', 'file', 'time'), ['xdp pass [debian-6.12]', 'basics.xdp-pass', 'basics/xdp-pass.yaml', '0.120'], 'the kernel in the testcase name');
  t.match(child(pass!, 'system-out').textContent, /^== step load \(load\) ==\n# prog xdp_pass\nfunc#0 @0\n/);
  t.equal(child(pass!, 'failure'), undefined);
  t.equal(fail!.getAttribute('name'), 'uninit <reg> & "quotes" #1 [debian-6.12]', 'escaped and read back');
  const failure = child(fail!, 'failure');
  t.equal(failure.getAttribute('type'), 'loaded');
  t.match(failure.getAttribute('message'), /^step load: expected the load to succeed, but it failed with EACCES \(\+2 more\)$/);
  t.match(failure.textContent, /log\[1\] "invalid access # to packet" not found[^]*\n +-invalid access # to packet\n +Live regs before insn:/);
  t.match(failure.textContent, /\n +-R3 !read_ok\n +\+R2 !read_ok\n/);
  const [skip, error] = cases(suites[1]!);
  t.equal(child(skip!, 'skipped').getAttribute('message'), 'requires CONFIG_BPF_TOKEN=y');
  const err = child(error!, 'error');
  t.same(attrs(err, 'message', 'type'), ['SSH connection lost', 'infrastructure']);
  t.match(err.textContent, 'Kernel panic - not syncing[0m');
});

t.test('json', async (t) => {
  const run = makeRun();
  const { streamed, final } = drive('json', run);
  t.equal(streamed, '');
  t.same(JSON.parse(final), run);
});

t.test('several reporters at once: one on stdout, the others in their files', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reporters-'));
  const out = new PassThrough();
  let stdout = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  const specs = ['spec', `junit=${path.join(dir, 'j.xml')}`, `tap=${path.join(dir, 't.tap')}`].reduce<ReporterSpec[]>((acc, v) => parseReporter(v, acc), []);
  const set = ReporterSet.open(specs, out);
  t.same(set.files, [path.join(dir, 'j.xml'), path.join(dir, 't.tap')]);
  const run = makeRun();
  for (const r of run.scenarios) set.scenarioFinished(r);
  stdout += set.runFinished(run);
  await set.closed();
  t.match(stdout, /^PASS  basics\/xdp-pass\.yaml \[debian-6\.12\]/, 'spec on stdout');
  t.notMatch(stdout, /TAP version|<testsuites/, 'nothing of the others there');
  t.match(readFileSync(path.join(dir, 'j.xml'), 'utf8'), /<testsuites name="bpf-harness" tests="4"/);
  t.match(readFileSync(path.join(dir, 't.tap'), 'utf8'), /^TAP version 14\n[\s\S]*\n1\.\.4\n# 1 passed, 1 failed, 1 skipped, 1 errors/);

  t.throws(() => parseReporter('html5', undefined), /expected one of spec, tap, junit, json, html, optionally =FILE/);
  t.throws(() => parseReporter('junit=', undefined), /junit= needs a file name/);
  t.throws(() => ReporterSet.open([{ name: 'spec' }, { name: 'tap' }], out), /--reporter: spec and tap would both write to stdout/);
  t.throws(() => ReporterSet.open([{ name: 'tap', file: path.join(dir, 'x') }, { name: 'junit', file: path.join(dir, 'x') }], out), /two reporters write/);
  t.throws(() => ReporterSet.open([{ name: 'junit', file: path.join(dir, 'no', 'such', 'x.xml') }], out), /--reporter junit=.*: cannot write .*ENOENT/);
});

t.test('the Markdown job summary (GITHUB_STEP_SUMMARY)', async (t) => {
  const md = markdownSummary(makeRun());
  t.match(md, /^### bpf-harness run\n\n\*\*1 passed, 1 failed, 1 skipped, 1 errors \(3\.37s\)\*\*\n/);
  t.match(md, /\| debian-6\.12 \| 1 \| 1 \| 0 \| 0 \|\n\| debian-6\.1 \| 0 \| 0 \| 1 \| 1 \|/);
  t.match(md, /\| `basics\/uninit\.yaml` \| debian-6\.12 \| step load: expected the load to succeed/);
  t.match(md, /\| `basics\/xdp-pass\.yaml` \| debian-6\.1 \| error: SSH connection lost \|/);
  const dir = mkdtempSync(path.join(tmpdir(), 'summary-'));
  const file = path.join(dir, 'summary.md');
  writeFileSync(file, 'earlier step\n');
  writeStepSummary(makeRun(), undefined, { GITHUB_STEP_SUMMARY: file });
  t.equal(readFileSync(file, 'utf8'), `earlier step\n${md}`, 'appended, as GitHub expects');
  writeStepSummary(makeRun(), undefined, {});
});
