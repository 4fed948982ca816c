// bpf-harness compare --base K1 --patched K2 [PATH...]
import { join, relative } from 'node:path';
import { BadInputError } from '../../../common/errors.js';
import { buildPlan } from '../../plan.js';
import { makeReporter } from '../../reporters/reporter.js';
import { runPlan } from '../../runner/run.js';
import { setQuiet } from '../../../common/progress.js';
import { compareRuns, formatComparison, type Comparison } from '../../compare/compare.js';
import { readRunResult } from '../../results/read.js';
import { htmlReport } from '../../reporters/html.js';
import { loadScenario } from '../../scenario/load.js';
import type { RunResult, ScenarioResult } from '../../results/model.js';
import type { Scenario } from '../../scenario/types.js';
import { comparisonJunit } from '../../compare/junit.js';
import { EXIT } from '../exit-codes.js';
import { prepareOutDir } from '../out-dir.js';
import { ensureCacheWritable } from '../../../common/writable-dir.js';
import { existsSync, writeFileSync } from 'node:fs';
import { writeCsvs } from './run.js';
import { backendFor } from '../../../vm/backends/index.js';
import type { ConfiguredTarget } from '../../../vm/registry.js';

/** What compare's and reproduce's --reporter take. */
export const COMPARE_REPORTERS = ['text', 'json', 'junit'] as const;

export interface CompareFlags {
  /** Live: the kernels to run on. With saved results: which kernel of each file, when it has several. */
  base?: string;
  patched?: string;
  baseResults?: string;
  patchedResults?: string;
  reporter: (typeof COMPARE_REPORTERS)[number];
  out?: string;
  force?: boolean;
  jobs: number;
  kernelJobs: number;
  retries: number;
  /** Where each side runs: qemu (the default) or ssh://user@host. */
  baseTarget?: string;
  patchedTarget?: string;
  quiet?: boolean;
  /** Percent. */
  threshold: number;
  csv?: string;
  grep?: string;
  exclude?: string;
  tag?: string[];
  /** The backends' own flags (cli/backend-flags.ts), by their camelCase names. */
  [backendFlag: string]: unknown;
}

/**
 * One side of a live comparison: where it runs and the kernel name the plan and results
 * use (a recipe for QEMU guests; for a host, the name given, else ssh:HOST[:PORT]).
 */
function liveSide(flags: CompareFlags, side: 'base' | 'patched'): { target: ConfiguredTarget; kernel: string } {
  const targetFlag = side === 'base' ? flags.baseTarget : flags.patchedTarget;
  const other = side === 'base' ? flags.patchedTarget : flags.baseTarget;
  const target = backendFor(targetFlag ?? 'qemu', flags, other ?? 'qemu');
  const named = flags[side];
  if (!named && target.backend.kernelsAreRecipes) {
    throw new BadInputError(`--${side} is missing`, { hint: 'compare --base K1 --patched K2 [PATH...], or compare --base-results A/results.json --patched-results B/results.json' });
  }
  return { target, kernel: target.backend.planKernels(target.config, named ? [named] : [])[0]! };
}

/** One side of a comparison from a saved run: its kernel (the only one, or --base/--patched naming one of several). */
function savedSide(file: string, flag: string, kernelFlag: string, chosen: string | undefined): { run: RunResult; kernel: string } {
  const run = readRunResult(file);
  const kernels = [...new Set(run.scenarios.map((r) => r.kernel))];
  if (chosen !== undefined) {
    if (!kernels.includes(chosen)) throw new BadInputError(`${kernelFlag} ${chosen}: ${file} has no results on it (it has ${kernels.join(', ') || 'none'})`, { hint: `name one of its kernels with ${kernelFlag}` });
    return { run, kernel: chosen };
  }
  if (kernels.length !== 1) throw new BadInputError(`${flag} ${file}: holds results on ${kernels.length} kernels (${kernels.join(', ')}); a side is one kernel`, { hint: `name it with ${kernelFlag} KERNEL` });
  return { run, kernel: kernels[0]! };
}

/**
 * The scenarios the saved results name, as the comparison needs them (their steps, and
 * what they declare in expect_by_kernel): loaded from their files where these are still
 * there, else rebuilt from the results, which then declare nothing.
 */
function savedScenarios(results: ScenarioResult[]): { scenarios: Scenario[]; relFile: (s: Scenario) => string } {
  const byFile = new Map<string, ScenarioResult[]>();
  for (const r of results) byFile.set(r.file, [...(byFile.get(r.file) ?? []), r]);
  const files = new Map<Scenario, string>();
  for (const [file, rs] of byFile) {
    let sc: Scenario | undefined;
    if (existsSync(file)) {
      try {
        sc = loadScenario(file);
      } catch (e) {
        if (!(e instanceof BadInputError)) throw e;
      }
    }
    const ids = [...new Set(rs.flatMap((r) => r.steps.map((st) => st.id)))];
    const stub: Scenario = {
      file, name: rs[0]!.name, tags: [], kernels: [], requires: { kconfig: [] }, programs: {}, fresh: false, network: false, normalize: [],
      selftests: rs.some((r) => r.programs?.length) ? [file] : [], unpriv: 'run', deny: {}, program_overrides: {}, expect_by_kernel: {},
      steps: ids.map((id) => ({ id, kind: 'run' as const, run: '', as: 'root' as const, expect: {}, line: 0, col: 0 })),
    };
    files.set(sc ?? stub, file);
  }
  return { scenarios: [...files.keys()], relFile: (s) => files.get(s) ?? s.file };
}

/** compare --base-results A --patched-results B: the comparison of two saved runs, no guests. */
function compareSaved(flags: CompareFlags): { cmp: Comparison; run: RunResult } {
  if (!flags.baseResults || !flags.patchedResults) throw new BadInputError(`${flags.baseResults ? '--patched-results' : '--base-results'} is missing: a comparison of saved runs takes both`, { hint: 'e.g. compare --base-results A/results.json --patched-results B/results.json' });
  const b = savedSide(flags.baseResults, '--base-results', '--base', flags.base);
  const p = savedSide(flags.patchedResults, '--patched-results', '--patched', flags.patched);
  // One kernel name on both sides (a recipe rebuilt with a change): the base side is told apart.
  const baseName = b.kernel === p.kernel ? `${b.kernel} (base)` : b.kernel;
  const side = (r: RunResult, kernel: string, as: string) => r.scenarios.filter((x) => x.kernel === kernel).map((x) => ({ ...x, kernel: as }));
  const kernel = (r: RunResult, kernel: string, as: string) => (r.kernels ?? []).filter((k) => k.name === kernel).map((k) => ({ ...k, name: as }));
  const run: RunResult = {
    ...p.run, kernels: [...kernel(b.run, b.kernel, baseName), ...kernel(p.run, p.kernel, p.kernel)],
    scenarios: [...side(b.run, b.kernel, baseName), ...side(p.run, p.kernel, p.kernel)],
  };
  const { scenarios, relFile } = savedScenarios(run.scenarios);
  return { cmp: compareRuns(run, scenarios, baseName, p.kernel, relFile, flags.threshold), run };
}

export async function compareCommand(paths: string[], flags: CompareFlags): Promise<number> {
  if (flags.baseResults || flags.patchedResults) {
    if (paths.length) throw new BadInputError('scenario paths given with saved results: the results say which scenarios ran', { hint: 'drop the paths, or run the comparison live without --base-results/--patched-results' });
    const { cmp, run } = compareSaved(flags);
    writeCsvs(run.scenarios, flags.csv, undefined);
    if (flags.out) writeComparisonFiles(prepareOutDir('compare', flags), cmp, run);
    return printComparison(cmp, flags, run);
  }
  const b = liveSide(flags, 'base');
  const p = liveSide(flags, 'patched');
  if (b.kernel === p.kernel) {
    throw new BadInputError('--base and --patched name the same kernel', { hint: 'compare two different kernels (two hosts: name each side, --base NAME --patched NAME)' });
  }
  // The plan resolves each side's kernel once, as its own backend takes it, after the
  // recipes beside the scenarios are known: results carry a recipe's name, whichever form named it.
  const entries = buildPlan(paths.length ? paths : ['scenarios'], {
    kernels: [b.kernel, p.kernel], kernelsAreRecipes: [b.target.backend.kernelsAreRecipes, p.target.backend.kernelsAreRecipes], grep: flags.grep, exclude: flags.exclude, tags: flags.tag,
  });
  const [base, patched] = [entries[0]!.kernel, entries[1]!.kernel];
  if (base.name === patched.name) throw new BadInputError(`--base ${flags.base} and --patched ${flags.patched} are the same recipe (${base.name})`, { hint: 'compare two different kernels' });
  ensureCacheWritable();
  const outDir = prepareOutDir('compare', flags);
  if (flags.quiet) setQuiet(true);
  // Per-scenario lines go to stderr: stdout carries the comparison.
  const run = await runPlan(entries, {
    outDir, target: b.target, kernelTargets: { [base.name]: b.target, [patched.name]: p.target }, jobs: flags.jobs, kernelJobs: flags.kernelJobs, retries: flags.retries, update: false, reporter: makeReporter('spec', process.stderr),
  });
  const scenarios = [...new Map(entries.map((e) => [e.scenario.file, e.scenario])).values()];
  const cmp = compareRuns(run, scenarios, base.name, patched.name, (s) => relative(process.cwd(), s.file) || s.file, flags.threshold);
  writeCsvs(run.scenarios, flags.csv, undefined);
  writeComparisonFiles(outDir, cmp, run);
  return printComparison(cmp, flags, run);
}

/** comparison.json, and report.html with the A/B table above the runs' outcomes. */
function writeComparisonFiles(outDir: string, cmp: Comparison, run: RunResult): void {
  writeFileSync(join(outDir, 'comparison.json'), JSON.stringify(cmp, null, 2));
  writeFileSync(join(outDir, 'report.html'), htmlReport(run, { title: `bpf-harness compare ${cmp.base} -> ${cmp.patched}`, comparison: cmp }));
}

/** The comparison on stdout in the --reporter's form; the exit code: 3 if a run broke, 1 on an unexpected change. */
function printComparison(cmp: Comparison, flags: CompareFlags, run: RunResult): number {
  const text = flags.reporter === 'json' ? `${JSON.stringify(cmp, null, 2)}\n` : flags.reporter === 'junit' ? comparisonJunit(cmp) : formatComparison(cmp);
  process.stdout.write(text);
  if (run.scenarios.some((s) => s.outcome === 'error')) return EXIT.infra;
  return cmp.unexpected ? EXIT.failed : EXIT.ok;
}
