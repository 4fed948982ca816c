// The sched_ext group on its kernel (scx-6.12, built from Debian's linux-source-6.12 if
// the cache lacks it): struct_ops registration, dmesg steps, the seed-000 ejection and
// the (kfunc x callback) matrix, all from real runs in one guest.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, outDir } from './helpers/cli.js';

t.test('scenarios/sched_ext pass on scx-6.12', async (t) => {
  const out = outDir();
  const r = await cli(['run', 'scenarios/sched_ext', '--reporter', 'json', '--out', out, '-q']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all.slice(-6000) });
  const run = JSON.parse(r.stdout) as { scenarios: { file: string; kernel: string; outcome: string; steps: { id: string; log?: string }[] }[] };
  t.equal(run.scenarios.length, 26, 'fifo, scx_simple and scx_qmap from the tree, seed 000 and nine matrix cells, on two kernels');
  t.same([...new Set(run.scenarios.map((s) => s.kernel))].sort(), ['scx-6.12', 'scx-6.12-kfunc-filter']);
  t.ok(run.scenarios.every((s) => s.outcome === 'pass'), 'all pass on both');
  // Our series: the seed-000 scheduler is refused at load time instead of ejected.
  const filtered = run.scenarios.find((s) => s.file.endsWith('enqueue-consume-ejected.yaml') && s.kernel === 'scx-6.12-kfunc-filter')!;
  t.match(filtered.steps.find((s) => s.id === 'register')?.log, /calling kernel function scx_bpf_consume is not allowed/);
  const captest = run.scenarios.find((s) => s.file.endsWith('enqueue-consume-ejected.yaml') && s.kernel === 'scx-6.12')!;
  t.match(captest.steps.find((s) => s.id === 'ejected')?.log, /kfunc with mask 0x2 called from an operation only allowing 0x4/);
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
