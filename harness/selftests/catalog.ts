// What `list` shows of a selftests scenario on one kernel: its programs and what each
// expects, read from the objects a run compiled for that kernel. Nothing is fetched,
// built or compiled; what is not in the cache yet is said to be unknown, and why.
import { BadInputError, InfraError } from '../../common/errors.js';
import { cachedKernelArtifacts } from '../../kernels/resolve.js';
import type { KernelArtifacts } from '../../kernels/recipe/artifacts.js';
import type { PlanEntry } from '../plan.js';
import { compiledSelftest, selftestFiles, selftestTree, SELFTESTS_DIR } from './compile.js';
import { scenarioSandbox } from '../../common/contained.js';
import { readObject } from './object.js';
import { casesFor, scenarioDecision, specsOf } from './run.js';
import type { Mode } from './spec.js';

export interface ListedProgram {
  /** FILE/PROG, as results and --grep name it. */
  id: string;
  description?: string;
  modes: ListedMode[];
}

/** A mode the program runs in: the verdict its tags expect, or what the host decides without loading it (a skip, a spec it cannot read). */
export type ListedMode = { mode: Mode; expect: 'success' | 'failure' } | { mode: Mode; decided: 'skip' | 'fail'; reason: string };

export type Catalog =
  | { programs: ListedProgram[]; /** Files no run has compiled for this kernel yet. */ uncompiled: string[] }
  | { unknown: string };

/** The entry's kernel as the cache holds it, or why list cannot say more of it (nothing is fetched or built). */
export async function listedKernel(entry: PlanEntry): Promise<KernelArtifacts | { unknown: string }> {
  let art;
  try {
    art = await cachedKernelArtifacts(entry.kernel.ref);
  } catch (e) {
    // What a run would report when it fetched or built the kernel (apt without the package, ...): here only a note.
    if (!(e instanceof BadInputError) && !(e instanceof InfraError)) throw e;
    return { unknown: `${entry.kernel.name}: ${e.message.split('\n')[0]}` };
  }
  return art ?? { unknown: `${entry.kernel.name} is not built or fetched yet` };
}

export async function catalogOf(entry: PlanEntry): Promise<Catalog> {
  const art = await listedKernel(entry);
  if ('unknown' in art) return art;
  const tree = await selftestTree(art);
  if (!tree) return { unknown: `${art.name}'s tree has no ${SELFTESTS_DIR}/test_loader.c and progs/bpf_misc.h: a run skips the scenario there` };
  const files = await selftestFiles(entry.scenario.selftests, tree);
  if (typeof files === 'string') return { unknown: `${files}: a run skips the scenario there` };
  const programs: ListedProgram[] = [];
  const uncompiled: string[] = [];
  for (const file of files) {
    const obj = await compiledSelftest(file, art, tree, scenarioSandbox(entry.scenario.file));
    if (!obj) {
      uncompiled.push(file.name);
      continue;
    }
    const specs = specsOf(await readObject(obj), tree.rules);
    const { pending } = casesFor(file.name, specs, (spec, mode) => scenarioDecision(entry.scenario, art.name, file.name, spec, mode), entry.programGrep, entry.programExclude);
    const byName = new Map<string, ListedProgram>();
    for (const p of pending) {
      let listed = byName.get(p.spec.name);
      if (!listed) {
        listed = { id: `${file.name}/${p.spec.name}`, ...(p.spec.description !== p.spec.name ? { description: p.spec.description } : {}), modes: [] };
        byName.set(p.spec.name, listed);
        programs.push(listed);
      }
      listed.modes.push(p.decided ? { mode: p.mode, decided: p.decided.outcome === 'skip' ? 'skip' : 'fail', reason: p.decided.reason ?? '' } : { mode: p.mode, expect: p.spec[p.mode].expectFailure ? 'failure' : 'success' });
    }
  }
  return { programs, uncompiled };
}
