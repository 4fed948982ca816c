// What `list` shows of a test_progs scenario on one kernel: the tests a run would hand to
// the runner, numbered as the runner numbers them, and those it reports denied or left out
// of the build, read from the kernel's tree in the cache (nothing is fetched or built).
// Subtests are known only to a run (6.12's test_progs -l lists tests, not subtests).
import { join } from 'node:path';
import { listedKernel } from '../selftests/catalog.js';
import { extracted } from '../../kernels/source/tree-extract.js';
import type { PlanEntry } from '../plan.js';
import { readUnbuildable, TREE_PARTS } from './build.js';
import { runnerSelection } from './plan.js';
import { chooseTests } from './test-progs-run.js';
import { selects } from './select.js';
import { testsOfTree } from './test-progs.js';

export interface ListedTest {
  number: string;
  test: string;
  subtest?: string;
  /** Why a run reports it skipped or failed without running it (a deny list, a build that left it out). */
  not?: string;
}

export type RunnerCatalog = { tests: ListedTest[] } | { unknown: string };

export async function runnerCatalog(entry: PlanEntry): Promise<RunnerCatalog> {
  const spec = entry.scenario.runner!;
  if (!spec.name.startsWith('test_progs')) return { unknown: `${spec.name} names its tests only as it runs them` };
  const art = await listedKernel(entry);
  if ('unknown' in art) return art;
  if (!art.tree) return { unknown: `${art.name} has no source tree to build the runner from: a run skips the scenario there` };
  const src = await extracted(art.tree.dir, art.tree.commit, TREE_PARTS);
  if (!src) return { unknown: `git cannot read ${TREE_PARTS.join(', ')} of ${art.tree.dir} at ${art.tree.commit}` };
  const selftests = join(src, 'tools', 'testing', 'selftests', 'bpf');
  const names = testsOfTree(join(selftests, 'prog_tests'));
  const selection = runnerSelection(spec, selftests, art.arch);
  const { numbers, denied } = chooseTests(names, selection, spec.name);
  const unbuildable = readUnbuildable(selftests).filter((u) => selects(selection, { runner: spec.name, test: u.test, number: '-', outcome: 'fail' }))
    .map((u) => ({ number: '-', test: u.test, not: `does not compile in this tree: ${u.error}` }));
  return {
    tests: [
      ...numbers.map((n) => ({ number: `#${n}`, test: names[n - 1]! })),
      ...denied.map((d) => ({ number: d.number, test: d.test, ...(d.subtest ? { subtest: d.subtest } : {}), not: d.reason! })),
      ...unbuildable,
    ],
  };
}
