// Before any target runs a scenario: which of a kernel's scenarios apply to it (its
// config, the pool's features, its tree), and their programs and selftests compiled on
// the host against that kernel's headers. What does not apply is reported as skipped.
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import type { PlanEntry } from '../plan.js';
import { buildProgram } from '../programs/build.js';
import { scenarioSandbox } from '../../common/contained.js';
import { treeFile } from '../programs/tree-files.js';
import { emit, type Phase } from '../../common/progress.js';
import type { ScenarioResult } from '../results/model.js';
import { btfObject, compileSelftest, selftestFiles, selftestTree, SELFTESTS_DIR, type Compiled } from '../selftests/compile.js';
import type { SelftestPlan } from '../selftests/run.js';
import { readRunnerOptions } from '../selftests/runner-options.js';
import type { PoolKernel, TargetPool } from '../../vm/registry.js';
import { readKconfig, unmetKconfig } from './kconfig.js';
import { runnerPlan, type RunnerPlan } from '../runners/plan.js';
import { READ_RUNNERS } from '../runners/run.js';
import { unrunResult } from './unrun.js';

/** What a kernel's scenarios need built on the host, per scenario file. */
export interface Built {
  /** scenario file -> program name -> object built for this kernel */
  objects: Map<string, Map<string, string>>;
  selftests: Map<string, SelftestPlan>;
  /** scenario file -> its runner, built from this kernel's tree, and the tests it keeps */
  runners: Map<string, RunnerPlan>;
}

export interface Prepared extends Built {
  /** The scenarios that will run. */
  runnable: PlanEntry[];
}

const skipped = (e: PlanEntry, kernel: string, reason: string): ScenarioResult => unrunResult(e, kernel, { outcome: 'skip', reason });

/** Why a scenario cannot run on this pool's kernel, or undefined. */
function unmet(e: PlanEntry, pool: TargetPool, config: Map<string, string> | undefined): string | undefined {
  const k = pool.kernel;
  if (e.scenario.skip) return e.scenario.skip;
  if (!pool.features.tokenHelper && e.scenario.steps.some((s) => typeof s.as === 'object' && 'token' in s.as)) {
    return `as: {token: ...} needs the token helper of the guest image, which ${pool.label} does not have`;
  }
  // The others build the same way, but their output is not read test by test yet: no result is better than a wrong one.
  if (e.scenario.runner && !READ_RUNNERS.includes(e.scenario.runner.name)) {
    return `runner: ${e.scenario.runner.name} is not read test by test yet (only ${READ_RUNNERS.join(", ")} ${READ_RUNNERS.length > 1 ? "are" : "is"})`;
  }
  if (e.scenario.runner && (!k.tree || !k.btf)) {
    return `runner: ${e.scenario.runner.name} is built from the kernel's own tree against its BTF, and ${k.name} has ${k.tree ? 'no BTF file' : 'no tree'}`;
  }
  if (e.scenario.selftests.length && !k.tree) {
    return `selftests: need the kernel's source tree (its bpf_misc.h and the loader built from its libbpf), and ${k.name} has none`;
  }
  const req = e.scenario.requires.kconfig;
  if (!req.length) return undefined;
  if (!config) return `needs ${req.join(', ')}, and ${'missing' in k.config ? k.config.missing : 'the kernel config is unreadable'}`;
  return unmetKconfig(req, config);
}

/**
 * Compile the programs of a kernel's scenarios against that kernel's headers before a
 * target starts; a compile error is bad input. Selftest files compile with the selftests
 * Makefile's flags, each kernel against its own tree. Returns why a scenario was skipped.
 */
async function buildFor(entries: PlanEntry[], k: PoolKernel, pool: TargetPool, built: Built, config?: Map<string, string>): Promise<Map<string, string>> {
  const skips = new Map<string, string>();
  for (const { scenario, programGrep, programExclude } of entries) {
    if (built.objects.has(scenario.file)) continue;
    const objs = new Map<string, string>();
    for (const [name, src] of Object.entries(scenario.programs)) {
      const file = typeof src === 'string' ? src : await treeFile(k, src.tree, scenario.file);
      objs.set(name, await buildProgram(file, k.includeDirs, typeof src === 'string' ? { sandbox: scenarioSandbox(scenario.file) } : {}));
    }
    built.objects.set(scenario.file, objs);
    if (scenario.runner) built.runners.set(scenario.file, await runnerPlan(scenario.runner, { name: k.name, tree: k.tree!, btf: k.btf! }, scenario.file, k.arch, config));
    if (!scenario.selftests.length) continue;
    const tree = await selftestTree(k);
    if (!tree) {
      skips.set(scenario.file, `selftests: ${k.name}'s tree has no ${SELFTESTS_DIR}/test_loader.c and progs/bpf_misc.h to follow`);
      continue;
    }
    const files = await selftestFiles(scenario.selftests, tree);
    if (typeof files === 'string') {
      skips.set(scenario.file, files);
      continue;
    }
    const what = `selftest file${files.length === 1 ? '' : 's'} of ${relative(process.cwd(), scenario.file)}`;
    const event = (phase: Phase, done: number) => emit({ type: 'compile', phase, what, kernel: k.name, done, total: files.length });
    event('start', 0);
    // clang runs a file on one core: as many at once as the host has cores.
    const compiled: Compiled[] = new Array(files.length);
    let next = 0;
    let done = 0;
    await Promise.all(Array.from({ length: Math.min(cpus().length, files.length) }, async () => {
      for (let i = next++; i < files.length; i = next++) {
        compiled[i] = await compileSelftest(files[i]!, k, tree, scenarioSandbox(scenario.file));
        event('update', ++done);
      }
    }));
    event('end', done);
    built.selftests.set(scenario.file, {
      files: compiled, rules: tree.rules, loader: await pool.selftestLoader(), runnerOptions: readRunnerOptions(join(tree.root, SELFTESTS_DIR)),
      btfFile: (name) => btfObject(name, k, tree), ...(programGrep ? { programGrep } : {}), ...(programExclude ? { programExclude } : {}),
    });
  }
  return skips;
}

/** The scenarios of one kernel that will run on the pool, built; the others are reported through finish as skipped. */
export async function prepare(pool: TargetPool, mine: PlanEntry[], finish: (r: ScenarioResult) => void): Promise<Prepared> {
  const k = pool.kernel;
  const config = 'file' in k.config ? readKconfig(k.config.file) : undefined;
  const built: Built = { objects: new Map(), selftests: new Map(), runners: new Map() };
  const applies = mine.filter((e) => {
    const why = unmet(e, pool, config);
    if (why) finish(skipped(e, k.name, why));
    return !why;
  });
  const skips = applies.length ? await buildFor(applies, k, pool, built, config) : new Map<string, string>();
  const runnable = applies.filter((e) => {
    const why = skips.get(e.scenario.file);
    if (why) finish(skipped(e, k.name, why));
    return !why;
  });
  return { ...built, runnable };
}
