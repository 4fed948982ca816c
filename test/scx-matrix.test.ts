// The (kfunc x callback) matrix is generated (scenarios/sched_ext/matrix/generate.ts):
// the cells on disk and the README's table must be what the generator writes from its
// tables now, so that a cell edited by hand, or a table changed without regenerating,
// fails here. Run `npm run gen:scx-matrix` to rewrite them.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../common/paths.js';
import { BASE, FILTER, KFUNCS, OPS, generated, onDisk, readmeWithTable, verdict } from '../scenarios/sched_ext/matrix/generate.js';

t.test('the cells on disk are the generated ones', async (t) => {
  const want = generated();
  const have = onDisk();
  t.equal(want.size, 2 * KFUNCS.length * OPS.length, 'a scenario and a scheduler per cell');
  t.same([...have.keys()].filter((f) => !want.has(f)), [], 'no cell the tables do not make (stale or hand-written)');
  t.same([...want.keys()].filter((f) => !have.has(f)), [], 'no generated cell missing');
  for (const [f, text] of want) if (have.get(f) !== text) t.fail(`${f} differs from what generate.ts writes`);
});

t.test("the README's table is the generated one", async (t) => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  t.equal(readmeWithTable(readme), readme);
});

t.test('verdicts from the masks agree with what the kernels were seen to do', async (t) => {
  const k = (name: string) => KFUNCS.find((x) => x.name === name)!;
  const op = (name: string) => OPS.find((x) => x.name === name)!;
  // Seed 000 on scx-6.12 (enqueue-consume-ejected.yaml): ejected with these masks; refused with the series.
  t.same(verdict(BASE, k('scx_bpf_consume'), op('enqueue')),
    { kind: 'ejected', message: 'kfunc with mask 0x2 called from an operation only allowing 0x4' });
  t.same(verdict(FILTER, k('scx_bpf_consume'), op('enqueue')), { kind: 'refused' });
  // The tree's enq_select_cpu_fails selftest: select_cpu_dfl from enqueue.
  t.same(verdict(BASE, k('scx_bpf_select_cpu_dfl'), op('enqueue')),
    { kind: 'ejected', message: 'kfunc with mask 0x8 called from an operation only allowing 0x4' });
  // scx_qmap calls reenqueue_local from cpu_release and dispatch_from_dsq from dispatch, on both kernels.
  for (const kernel of [BASE, FILTER]) {
    t.same(verdict(kernel, k('scx_bpf_reenqueue_local'), op('cpu_release')), { kind: 'allowed' });
    t.same(verdict(kernel, k('scx_bpf_dispatch_from_dsq'), op('dispatch')), { kind: 'allowed' });
  }
  // The series does not filter the from_dsq kfuncs, which unlocked callbacks may call.
  t.same(verdict(FILTER, k('scx_bpf_dispatch_from_dsq'), op('init')), { kind: 'allowed' });
});
