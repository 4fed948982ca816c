// bpf-harness compare --base K1 --patched K2 [PATH...]
import { join, relative } from 'node:path';
import { BadInputError } from '../../../common/errors.js';
import { buildPlan } from '../../plan.js';
import { makeReporter } from '../../reporters/reporter.js';
import { runPlan } from '../../runner/run.js';
import { setQuiet } from '../../../common/progress.js';
import { compareRuns, formatComparison } from '../../compare/compare.js';
import { comparisonJunit } from '../../compare/junit.js';
import { checkKernels, recipeFile } from '../../../kernels/resolve.js';
import { resolveRecipe } from '../../../kernels/recipe.js';
import { EXIT } from '../exit-codes.js';
import { prepareOutDir } from '../out-dir.js';
import { ensureCacheWritable } from '../../../common/writable-dir.js';
import { writeFileSync } from 'node:fs';
import { writeCsvs } from './run.js';
import type { AccelChoice } from '../../../vm/qemu/accel.js';

/** What compare's and reproduce's --reporter take. */
export const COMPARE_REPORTERS = ['text', 'json', 'junit'] as const;

export interface CompareFlags {
  base: string;
  patched: string;
  reporter: (typeof COMPARE_REPORTERS)[number];
  out?: string;
  force?: boolean;
  jobs: number;
  accel: AccelChoice;
  coldBoot?: boolean;
  quiet?: boolean;
  /** Percent. */
  threshold: number;
  csv?: string;
  grep?: string;
  exclude?: string;
  tag?: string[];
}

export async function compareCommand(paths: string[], flags: CompareFlags): Promise<number> {
  if (flags.base === flags.patched) throw new BadInputError('--base and --patched name the same kernel', { hint: 'compare two different kernels' });
  // The plan first: it makes the recipes kept beside the scenarios known by name.
  const entries = buildPlan(paths.length ? paths : ['scenarios'], { kernels: [flags.base, flags.patched], grep: flags.grep, exclude: flags.exclude, tags: flags.tag });
  checkKernels([flags.base, flags.patched]);
  const base = resolveRecipe(recipeFile(flags.base)).name;
  const patched = resolveRecipe(recipeFile(flags.patched)).name;
  ensureCacheWritable();
  const outDir = prepareOutDir('compare', flags);
  if (flags.quiet) setQuiet(true);
  // Per-scenario lines go to stderr: stdout carries the comparison.
  const run = await runPlan(entries, {
    outDir, jobs: flags.jobs, accel: flags.accel, coldBoot: !!flags.coldBoot, update: false, reporter: makeReporter('spec', process.stderr),
  });
  const scenarios = [...new Map(entries.map((e) => [e.scenario.file, e.scenario])).values()];
  const cmp = compareRuns(run, scenarios, base, patched, (s) => relative(process.cwd(), s.file) || s.file, flags.threshold);
  writeCsvs(run.scenarios, flags.csv, undefined);
  writeFileSync(join(outDir, 'comparison.json'), JSON.stringify(cmp, null, 2));
  const text = flags.reporter === 'json' ? `${JSON.stringify(cmp, null, 2)}\n` : flags.reporter === 'junit' ? comparisonJunit(cmp) : formatComparison(cmp);
  process.stdout.write(text);
  if (run.scenarios.some((s) => s.outcome === 'error')) return EXIT.infra;
  return cmp.unexpected ? EXIT.failed : EXIT.ok;
}
