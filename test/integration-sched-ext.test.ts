// The sched_ext group on its kernels (scx-6.12, built from Debian's linux-source-6.12 if
// the cache lacks it, and our series on it): struct_ops registration, dmesg steps, the
// seed-000 ejection, the (kfunc x callback) matrix, the tree's schedulers and its own
// sched_ext selftests, all from real runs.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, outDir } from './helpers/cli.js';
import type { RunResult } from '../harness/results/model.js';
import type { Comparison } from '../harness/compare/compare.js';

t.test('scenarios/sched_ext pass on scx-6.12', async (t) => {
  const out = outDir();
  const csv = join(out, 'programs.csv');
  const r = await cli(['run', 'scenarios/sched_ext', '--reporter', 'json', '--out', out, '--csv', csv, '-q']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all.slice(-6000) });
  const run = JSON.parse(r.stdout) as RunResult;
  const files = new Set(run.scenarios.map((s) => s.file));
  t.equal(files.size, 107, 'fifo, scx_simple, scx_qmap, scx_central and scx_flatcg from the tree, seed 000, 80 matrix cells and the 21 selftests');
  t.equal(run.scenarios.length, 214, 'each on two kernels');
  t.same([...new Set(run.scenarios.map((s) => s.kernel))].sort(), ['scx-6.12', 'scx-6.12-kfunc-filter']);
  // One skips by design: it is the C runner's own test.
  const skipped = [...new Set(run.scenarios.filter((s) => s.outcome === 'skip').map((s) => s.file.replace(/.*\//, '')))].sort();
  t.same(skipped, ['example.yaml']);
  t.ok(run.scenarios.every((s) => s.outcome === 'pass' || s.outcome === 'skip'), 'the rest pass on both');
  // Our series: the seed-000 scheduler is refused at load time instead of ejected.
  const filtered = run.scenarios.find((s) => s.file.endsWith('enqueue-consume-ejected.yaml') && s.kernel === 'scx-6.12-kfunc-filter')!;
  t.match(filtered.steps.find((s) => s.id === 'register')?.log, /calling kernel function scx_bpf_consume is not allowed/);
  const captest = run.scenarios.find((s) => s.file.endsWith('enqueue-consume-ejected.yaml') && s.kernel === 'scx-6.12')!;
  t.match(captest.steps.find((s) => s.id === 'ejected')?.log, /kfunc with mask 0x2 called from an operation only allowing 0x4/);
  // Every callback of a scheduler with veristat's stats, in the JSON and the CSV.
  const qmap = run.scenarios.find((s) => s.file.endsWith('tree-scx-qmap.yaml') && s.kernel === 'scx-6.12')!;
  const progs = qmap.steps.find((s) => s.kind === 'load')?.programs ?? [];
  t.same(progs.filter((p) => !p.prog.startsWith('qmap_')).map((p) => p.prog), [], 'its programs, not the subprograms of .text');
  t.ok(progs.every((p) => p.file === 'scx_qmap.bpf.o' && p.loaded), 'all loaded');
  // A log libbpf cut at its buffer's size has lost its statistics line; the others have theirs.
  const measured = progs.filter((p) => p.stats?.states !== undefined && p.durationUs !== undefined).map((p) => p.prog);
  t.ok(['qmap_select_cpu', 'qmap_enqueue', 'qmap_dispatch', 'qmap_cpu_release', 'qmap_init_task'].every((p) => measured.includes(p)), `stats for ${measured.length} of ${progs.length}: ${measured.join(', ')}`);
  const rows = readFileSync(csv, 'utf8').split('\n').filter((l) => l.startsWith('scx_qmap.bpf.o,qmap_enqueue,success,'));
  t.equal(rows.length, 2, 'a CSV row for qmap_enqueue on each kernel');
  t.match(rows[0], /,scx-6\.12(-kfunc-filter)?,priv,pass,,scenarios\/sched_ext\/tree-scx-qmap\.yaml,/);
  // The kernel's own account, kept as an artifact.
  const dmesg = readFileSync(join(out, 'scx-6_12', 'scenarios_sched_ext_enqueue-consume-ejected', 'ejected.dmesg.log'), 'utf8');
  t.match(dmesg, /sched_ext: BPF scheduler "captest" disabled \(runtime error\)/);
});

t.test('a scheduler of the user\'s own, outside scenarios/, builds and registers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bh-user-sched-'));
  writeFileSync(join(dir, 'mine.bpf.c'), [
    '#include <scx/common.bpf.h>',
    'char _license[] SEC("license") = "GPL";',
    'void BPF_STRUCT_OPS(mine_enqueue, struct task_struct *p, u64 enq_flags)',
    '{',
    '\tscx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);',
    '}',
    'SCX_OPS_DEFINE(mine_ops, .enqueue = (void *)mine_enqueue, .name = "mine");',
    '',
  ].join('\n'));
  writeFileSync(join(dir, 'mine.yaml'), [
    'name: my own scheduler',
    'kernels: [scx-6.12]',
    'programs: {mine: mine.bpf.c}',
    'steps:',
    '  - {id: register, load: mine, via: struct_ops}',
    "  - {id: enabled, dmesg: {within: 10s}, expect: {log: ['sched_ext: BPF scheduler \"mine\" enabled']}}",
    '  - {id: ops, run: cat /sys/kernel/sched_ext/root/ops, expect: {stdout: [mine]}}',
    '',
  ].join('\n'));
  const r = await cli(['run', join(dir, 'mine.yaml'), '--out', outDir(), '-q']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all.slice(-4000) });
  t.match(r.stdout, /PASS .*mine\.yaml \[scx-6\.12\]/);
});

t.test('compare and bisect over our series (kernels/patches/scx-kfunc-filter)', async (t) => {
  const c = await cli(['compare', '--base', 'scx-6.12', '--patched', 'scx-6.12-kfunc-filter', 'scenarios/sched_ext/enqueue-consume-ejected.yaml',
    'scenarios/sched_ext/matrix/consume-enqueue.yaml', 'scenarios/sched_ext/matrix/consume-dispatch.yaml', 'scenarios/sched_ext/tree-scx-qmap.yaml', '--reporter', 'json', '--out', outDir(), '-q']);
  t.equal(c.exitCode, 0, 'every change declared', { output: c.all.slice(-3000) });
  const cmp = JSON.parse(c.stdout) as Comparison;
  const row = (f: string, s: string) => cmp.steps.find((x) => x.file.endsWith(f) && x.step === s)!;
  t.same([row('enqueue-consume-ejected.yaml', 'register').base.verdict, row('enqueue-consume-ejected.yaml', 'register').patched.verdict], ['loaded', 'EACCES']);
  t.same([row('consume-enqueue.yaml', 'register').changed, row('consume-enqueue.yaml', 'register').expected], [true, true]);
  t.equal(row('consume-dispatch.yaml', 'register').changed, false, 'the allowed cell is unchanged');
  t.equal(cmp.unexpected, 0);
  // scx_qmap's callbacks, program by program: the series does not change how they verify.
  t.ok((cmp.stepPrograms?.unchanged ?? 0) >= 10, `${cmp.stepPrograms?.unchanged} load step programs compared`);
  t.same(cmp.stepPrograms?.rows.filter((r) => r.file.endsWith('tree-scx-qmap.yaml')), [], 'no stats delta over 5%');

  const b = await cli(['bisect', '--base', 'scx-6.12', '--series', 'kernels/patches/scx-kfunc-filter',
    '--scenario', 'scenarios/sched_ext/enqueue-consume-ejected.yaml', '--step', 'register', '--json', '--out', outDir(), '-q']);
  t.equal(b.exitCode, 0, 'bisect ran', { output: b.all.slice(-3000) });
  const bis = JSON.parse(b.stdout) as { points: { applied: number; verdicts: Record<string, string> }[]; first?: { patch: string; subject: string } };
  t.same(bis.points.map((p) => p.verdicts.register), ['loaded', 'loaded', 'EACCES'], 'base, +1, +2 (cover letter skipped)');
  t.match(bis.first?.patch, /^0002-sched_ext-Check-the-kfunc-context/);
  t.equal(bis.first?.subject, 'sched_ext: Check the kfunc context of each operation at load time');
});

t.test('reproduce: an mbox of the series against scx-6.12, one command, the comparison at the end', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bh-reproduce-'));
  const series = join('kernels', 'patches', 'scx-kfunc-filter');
  const mbox = join(dir, 'series.mbox');
  writeFileSync(mbox, readdirSync(series).sort().map((f) => readFileSync(join(series, f), 'utf8')).join(''));
  const r = await cli(['reproduce', mbox, 'scenarios/sched_ext/matrix/consume-enqueue.yaml', '--name', 'scx-6.12-kfunc-filter', '--out', outDir(), '-q']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all.slice(-3000) });
  t.match(r.stdout, /matrix\/consume-enqueue\.yaml register +loaded +EACCES .*\(expected\)/);
  t.match(r.stdout, /matrix\/consume-enqueue\.yaml workload +exit 0 +skipped .*\(expected\)/, 'a refused cell runs no workload');
  t.match(r.stdout, /3 steps compared: 3 changed; \d+ load step programs: 0 with stats deltas, 0 unexpected/);
});
