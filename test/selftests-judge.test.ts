// test_loader.c's verdicts on recorded loader output (test/fixtures/selftests/debian-6.12,
// see its README for where and on which kernel it was recorded): the cases the runner
// makes from each object's tags, judged; then the same output against altered tags,
// which must fail naming what failed.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fixture } from './helpers/cli.js';
import { LinearRegex } from '../common/linear-regex.js';
import { judgeCase } from '../harness/selftests/judge.js';
import { parseLoaderOutput } from '../harness/selftests/loader.js';
import type { ObjectPrograms } from '../harness/selftests/object.js';
import { casesFor, specsOf, type Pending } from '../harness/selftests/run.js';
import { CURRENT_RULES, POINTER_VALUE, type ProgramSpec } from '../harness/selftests/spec.js';
import type { ProgramResult } from '../harness/results/model.js';

const FILES = ['verifier_and.c', 'verifier_array_access.c', 'verifier_bpf_fastcall.c', 'verifier_map_ptr.c'];
const dir = (...p: string[]) => fixture('selftests', 'debian-6.12', ...p);
const output = parseLoaderOutput(readFileSync(dir('loader-output.txt')));
const outputs = new Map(output.cases.map((c) => [c.id, c]));

/** Every case of the batch, with its spec, as the runner made it. */
const pending: Pending[] = FILES.flatMap((f, i) => {
  const obj = JSON.parse(readFileSync(dir(`${f.replace('.c', '')}.json`), 'utf8')) as ObjectPrograms;
  return casesFor(f, specsOf(obj, CURRENT_RULES)).pending.map((p) => (p.caseId === undefined ? p : { ...p, caseId: `${i}.${p.caseId}` }));
});

function judge(p: Pending, spec: ProgramSpec = p.spec): ProgramResult {
  if (p.decided) return p.decided;
  const out = outputs.get(p.caseId!);
  if (!out) throw new Error(`no recorded output for case ${p.caseId}`);
  return judgeCase(p.file, spec, p.mode, out);
}
const find = (file: string, prog: string, mode = 'priv') => pending.find((p) => p.file === file && p.spec.name === prog && p.mode === mode)!;

t.test('the recorded batch parses whole', async (t) => {
  t.equal(output.trailing, '', 'nothing unparsed');
  t.equal(output.cases.length, pending.filter((p) => !p.decided).length, 'one output per case sent');
});

t.test('verdicts as on the kernel it was recorded on', async (t) => {
  const results = pending.map((p) => judge(p));
  const failed = results.filter((r) => r.outcome === 'fail').map((r) => `${r.file}/${r.prog} ${r.mode}`);
  t.same(failed, ['verifier_map_ptr.c/_0_r_r_map_ptr unpriv']);
  const skipped = results.filter((r) => r.outcome === 'skip');
  t.same(skipped.map((r) => r.prog), ['canary_arm64_riscv64']);
  t.match(skipped[0]!.reason, /only for ARM64, RISCV64/);
  t.equal(results.length, 78);
  const and = results.find((r) => r.prog === 'invalid_and_of_negative_number' && r.mode === 'priv')!;
  t.same({ loaded: and.loaded, errno: and.errno }, { loaded: false, errno: 'EACCES' }, 'a load that must fail, and did');
  t.same(and.stats, { insns: 13, maxStatesPerInsn: 0, states: 1, peakStates: 1, markRead: 1 }, "stats from the log's processed line");
  const ro = results.find((r) => r.prog === 'a_read_only_array_1_1' && r.mode === 'priv')!;
  t.equal(ro.retval, 28, "the map prefill of prog_tests/verifier.c made the retval the tag asks for");
});

t.test('the failure names the pattern, where matching stopped, and the log', async (t) => {
  const r = judge(find('verifier_map_ptr.c', '_0_r_r_map_ptr', 'unpriv'));
  t.equal(r.outcome, 'fail');
  t.equal(r.failures[0]?.expectation, 'msg[0]');
  t.equal(r.failures[0]?.pattern, 'R0 has pointer with unsupported alu operation');
  t.match(r.failures[0]?.message, /msg\[0\] "R0 has pointer with unsupported alu operation" not found anywhere/);
  t.equal(r.failures[0]?.stoppedAtLine, 1);
  t.match(r.failures[0]?.diff, /^-R0 has pointer with unsupported alu operation$/m, 'the diff shows the line the log lacks');
});

t.test('altered tags fail against the same output', async (t) => {
  const p = find('verifier_and.c', 'invalid_and_of_negative_number');
  const wrongMsg = judge(p, { ...p.spec, priv: { ...p.spec.priv, msgs: ['R0 max value is outside', 'no such line {{[0-9]+}}'] } });
  t.equal(wrongMsg.outcome, 'fail');
  t.match(wrongMsg.failures[0]?.message, /msg\[1\] "no such line \{\{\[0-9\]\+\}\}" not found after msg\[0\] matched on line \d+/);

  const mustLoad = judge(p, { ...p.spec, priv: { ...p.spec.priv, expectFailure: false } });
  t.match(mustLoad.reason, /the load failed \(EACCES\), but its tags say it must succeed/);

  const ro = find('verifier_array_access.c', 'a_read_only_array_1_1');
  t.match(judge(ro, { ...ro.spec, priv: { ...ro.spec.priv, retval: 27 } }).reason, /retval 28, expected 27/);
  t.equal(judge(ro, { ...ro.spec, priv: { ...ro.spec.priv, retval: POINTER_VALUE } }).outcome, 'pass', 'POINTER_VALUE takes any value');
});

t.test('__xlated lines must follow each other unless "..." is between them', async (t) => {
  const p = find('verifier_bpf_fastcall.c', 'simple');
  const xl = p.spec.priv.xlated;
  t.ok(xl.length >= 3, 'the program has __xlated tags');
  t.equal(judge(p).outcome, 'pass');
  // The first and third lines, with the next-line rule: the third is two lines down.
  const skipped = [xl[0]!, { ...xl[2]!, onNextLine: true }];
  const r = judge(p, { ...p.spec, priv: { ...p.spec.priv, xlated: skipped } });
  t.equal(r.outcome, 'fail');
  t.match(r.failures[0]?.message, /xlated\[1\] .* matched on line \d+, but it must be on line \d+, right after xlated\[0\]/);
  t.equal(judge(p, { ...p.spec, priv: { ...p.spec.priv, xlated: [xl[0]!, { ...xl[2]!, onNextLine: false }] } }).outcome, 'pass', 'with "..." between them it passes');
});

t.test('--grep and --exclude choose programs as test_progs -t and -d do', async (t) => {
  const obj = JSON.parse(readFileSync(dir('verifier_and.json'), 'utf8')) as ObjectPrograms;
  const specs = specsOf(obj, CURRENT_RULES);
  const names = (grep?: LinearRegex, exclude?: LinearRegex) => [...new Set(casesFor('verifier_and.c', specs, undefined, grep, exclude).pending.map((p) => p.spec.name))];
  const all = names();
  t.ok(all.length > 2, `${all.length} programs`);
  const [first, second] = all as [string, string];
  t.same(names(undefined, new LinearRegex(`/${first}$`)), all.filter((n) => n !== first), 'exclude leaves one out by FILE/PROG');
  t.same(names(new LinearRegex(`/(${first}|${second})$`), new LinearRegex(`/${second}$`)), [first], 'grep, then exclude');
});
