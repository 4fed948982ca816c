// selftests: on a real debian-6.12 guest: a handful of the kernel tree's own tagged files
// and one of ours with a wrong tag (test/fixtures/scenarios/selftests/corpus.yaml), judged
// program by program; the CSVs; and the tree's own veristat reading two of our CSVs.
import t from 'tap';
import { execa } from 'execa';
import { appendFileSync, cpSync, readdirSync, readFileSync } from 'node:fs';
import { cacheDir } from '../common/paths.js';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cli, fixture, outDir } from './helpers/cli.js';
import { kernelArtifacts } from '../kernels/resolve.js';
import { selftestTools } from '../vm/helpers/selftest-helper.js';
import type { RunResult } from '../harness/results/model.js';
import { VERISTAT_COLUMNS } from '../harness/results/csv.js';

const out = outDir();
const csv = join(out, 'programs.csv');
const veristatCsv = join(out, 'veristat-{kernel}.csv');
const r = await cli(['run', fixture('scenarios', 'selftests', 'corpus.yaml'), '--out', join(out, 'run'), '--csv', csv, '--veristat-csv', veristatCsv]);
const results = JSON.parse(readFileSync(join(out, 'run', 'results.json'), 'utf8')) as RunResult;
const programs = results.scenarios[0]?.programs ?? [];
const get = (file: string, prog: string, mode = 'priv') => programs.find((p) => p.file === file && p.prog === prog && p.mode === mode);

t.test('the wrong tag fails the run, naming the program and the pattern', async (t) => {
  t.equal(r.exitCode, 1, 'exit 1', { output: r.all });
  t.match(r.stdout, /FAIL ours\.c\/wrong_msg \(a message that is not in the log, on purpose\)/);
  t.match(r.stdout, /msg\[0\] "this message is not in the log" not found anywhere/);
  const bad = get('ours.c', 'wrong_msg');
  t.equal(bad?.outcome, 'fail');
  t.equal(bad?.failures[0]?.pattern, 'this message is not in the log');
  t.ok(bad?.artifact && readFileSync(join(out, 'run', bad.artifact), 'utf8').includes('R2 !read_ok'), 'its verifier log is kept');
  t.match(r.stdout, /selftest programs: \d+ passed, 1 failed, \d+ skipped/);
});

t.test("the tree's files pass as test_progs would pass them", async (t) => {
  const failed = programs.filter((p) => p.outcome === 'fail').map((p) => `${p.file}/${p.prog} ${p.mode}`);
  t.same(failed, ['ours.c/wrong_msg priv'], 'only our wrong tag fails', { output: r.all });
  t.same(get('ours.c', 'reads_uninit_r2'), { ...get('ours.c', 'reads_uninit_r2'), outcome: 'pass', loaded: false, errno: 'EACCES' });
  t.equal(get('ours.c', 'returns_seven')?.retval, 7, '__retval by BPF_PROG_TEST_RUN');
  t.equal(programs.filter((p) => p.file === 'verifier_and.c' && p.mode === 'unpriv').length > 0, true, 'unprivileged modes ran');
  t.equal(get('verifier_array_access.c', 'a_read_only_array_1_1')?.retval, 28, "prog_tests/verifier.c's map prefill");
  t.equal(get('verifier_bitfield_write.c', 'single_field_roundtrip')?.outcome, 'pass', '__btf_path object built from the tree');
  t.match(get('verifier_bpf_fastcall.c', 'canary_arm64_riscv64')?.reason, /only for ARM64, RISCV64/, '__arch_* for another arch is a skip with its reason');
  t.ok(programs.every((p) => p.outcome !== 'skip' || p.reason), 'every skip has a reason');
});

t.test('--csv and --veristat-csv', async (t) => {
  const rows = readFileSync(csv, 'utf8').trim().split('\n');
  t.equal(rows[0], [...VERISTAT_COLUMNS, 'kernel', 'mode', 'outcome', 'reason', 'scenario', 'step', 'runner', 'test', 'subtest', 'duration_ms'].join(','));
  t.equal(rows.length, programs.length + 1, 'a row per program and mode');
  t.ok(rows.some((l) => l.startsWith('ours.c,wrong_msg,failure,')), 'veristat verdict names');
  const vfile = veristatCsv.replace('{kernel}', 'debian-6.12');
  const vrows = readFileSync(vfile, 'utf8').trim().split('\n');
  t.equal(vrows[0], VERISTAT_COLUMNS.join(','), "exactly veristat's columns");
  const seen = programs.filter((p) => p.mode === 'priv' && p.loaded !== undefined);
  t.ok(seen.every((p) => p.stats?.states !== undefined), 'every program the verifier saw has its statistics');
  t.equal(vrows.length - 1, seen.length);

  const art = await kernelArtifacts('debian-6.12');
  const { veristat } = await selftestTools(art.tree!);
  t.ok(veristat, 'the tree has a veristat');
  const cmp = await execa(veristat!, ['-C', vfile, vfile], { reject: false, all: true });
  t.equal(cmp.exitCode, 0, "the tree's veristat -C reads two of our CSVs", { output: cmp.all });
  t.match(cmp.stdout, /returns_seven/);
});

t.test('the TAP reporter puts programs under their file', async (t) => {
  const tap = await cli(['run', fixture('scenarios', 'selftests', 'corpus.yaml'), '--out', join(out, 'tap'), '--reporter', 'tap', '-q']);
  t.match(tap.stdout, /# Subtest: ours\.c\n {8}ok 1 - reads_uninit_r2\n {8}not ok 2 - wrong_msg\n/);
  // The diagnostic block parses as YAML.
  const block = /not ok 2 - wrong_msg\n {10}---\n([\s\S]*?)\n {10}\.\.\./.exec(tap.stdout)?.[1];
  t.match(parse((block ?? '').replace(/^ {10}/gm, '')), { message: /not found anywhere/ });
});

t.test('--grep that matches programs, not the scenario, runs just those', async (t) => {
  const dir = join(out, 'grep');
  const g = await cli(['run', fixture('scenarios', 'selftests', 'corpus.yaml'), '--out', dir, '--grep', 'ours\\.c/returns|invalid and of negative', '-q']);
  t.equal(g.exitCode, 0, 'exit 0: the failing program was not selected', { output: g.all });
  const res = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResult;
  const names = [...new Set((res.scenarios[0]?.programs ?? []).map((p) => `${p.file}/${p.prog}`))];
  t.same(names, ['verifier_and.c/invalid_and_of_negative_number', 'ours.c/returns_seven'], 'by FILE/PROG or by description');

  // --exclude leaves programs out as test_progs -d does: here the one that fails.
  const x = join(out, 'exclude');
  const e = await cli(['run', fixture('scenarios', 'selftests', 'corpus.yaml'), '--out', x, '--grep', 'ours\\.c/', '--exclude', 'wrong_msg', '-q']);
  t.equal(e.exitCode, 0, 'exit 0: the failing program was left out', { output: e.all });
  const ex = JSON.parse(readFileSync(join(x, 'results.json'), 'utf8')) as RunResult;
  const left = [...new Set((ex.scenarios[0]?.programs ?? []).map((p) => p.prog))];
  t.ok(left.length >= 2 && !left.includes('wrong_msg') && left.includes('returns_seven'), `ours.c without wrong_msg: ${left.join(', ')}`);
});

t.test('list shows the programs a run compiled, as the run selected and judged them', async (t) => {
  type Listed = { programs?: { id: string; modes: ({ mode: string; expect: string } | { mode: string; decided: string; reason: string })[] }[]; uncompiled?: string[]; unknown?: string };
  const list = async (file: string, ...args: string[]) => {
    const l = await cli(['list', file, '--json', ...args]);
    t.equal(l.exitCode, 0, 'list', { output: l.all });
    return (JSON.parse(l.stdout) as Listed[])[0]!;
  };
  const all = await list(fixture('scenarios', 'selftests', 'corpus.yaml'));
  t.same(all.uncompiled, [], 'every file is compiled after the run');
  const listedCases = all.programs!.flatMap((p) => p.modes.map((m) => `${p.id} ${m.mode}`)).sort();
  t.same(listedCases, programs.map((p) => `${p.file}/${p.prog} ${p.mode}`).sort(), 'the same programs and modes as the run');
  const modes = (id: string) => all.programs!.find((p) => p.id === id)?.modes;
  t.same(modes('verifier_and.c/invalid_and_of_negative_number'), [{ mode: 'priv', expect: 'failure' }, { mode: 'unpriv', expect: 'failure' }], 'what the tags expect');
  t.match(modes('verifier_bpf_fastcall.c/canary_arm64_riscv64'), [{ mode: 'priv', decided: 'skip', reason: /only for ARM64, RISCV64/ }], 'what the host decides');
  const grep = await list(fixture('scenarios', 'selftests', 'corpus.yaml'), '--grep', 'ours\\.c/returns|invalid and of negative');
  t.same(grep.programs!.map((p) => p.id), ['verifier_and.c/invalid_and_of_negative_number', 'ours.c/returns_seven'], '--grep as run applies it');

  // A file no run has compiled is named, and list compiles nothing.
  const dir = join(out, 'uncompiled');
  cpSync(fixture('scenarios', 'selftests'), dir, { recursive: true });
  appendFileSync(join(dir, 'progs', 'ours.c'), `\n/* ${Date.now()} ${process.pid}: a source no run has compiled */\n`);
  const before = readdirSync(cacheDir('objects')).length;
  const fresh = await list(join(dir, 'corpus.yaml'));
  t.same(fresh.uncompiled, ['ours.c']);
  t.ok(fresh.programs!.some((p) => p.id.startsWith('verifier_and.c/')), 'the compiled files are still listed');
  t.equal(readdirSync(cacheDir('objects')).length, before, 'nothing was compiled');
  const text = await cli(['list', join(dir, 'corpus.yaml')]);
  t.match(text.stdout, /programs of 1 file\(s\) not known: no run has compiled them for debian-6\.12 yet \(ours\.c\)/);
  t.match(text.stdout, / {4}verifier_and\.c\/invalid_and_of_negative_number {2}priv: failure, unpriv: failure {2}"invalid and of negative number"/);
});
