// The sched_ext group on its kernel (scx-6.12, built from Debian's linux-source-6.12 if
// the cache lacks it): struct_ops registration, dmesg steps, the seed-000 ejection and
// the (kfunc x callback) matrix, all from real runs in one guest.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, outDir } from './helpers/cli.js';

t.test('scenarios/sched_ext pass on scx-6.12', async (t) => {
  const out = outDir();
  const r = await cli(['run', 'scenarios/sched_ext', '--reporter', 'json', '--out', out, '-q']);
  t.equal(r.exitCode, 0, 'exit 0', { output: r.all.slice(-6000) });
  const run = JSON.parse(r.stdout) as { scenarios: { file: string; kernel: string; outcome: string; steps: { id: string; log?: string }[] }[] };
  t.equal(run.scenarios.length, 11, 'fifo, seed 000 and nine matrix cells');
  t.ok(run.scenarios.every((s) => s.kernel === 'scx-6.12' && s.outcome === 'pass'), 'all pass on scx-6.12');
  const captest = run.scenarios.find((s) => s.file.endsWith('enqueue-consume-ejected.yaml'))!;
  t.match(captest.steps.find((s) => s.id === 'ejected')?.log, /kfunc with mask 0x2 called from an operation only allowing 0x4/);
  // The kernel's own account, kept as an artifact.
  const dmesg = readFileSync(join(out, 'scx-6_12', 'scenarios_sched_ext_enqueue-consume-ejected', 'ejected.dmesg.log'), 'utf8');
  t.match(dmesg, /sched_ext: BPF scheduler "captest" disabled \(runtime error\)/);
});
