// bpf-harness run [PATH...]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../../common/errors.js';
import { programsCsv, veristatCsv, veristatCsvFiles } from '../../results/csv.js';
import type { ScenarioResult } from '../../results/model.js';
import type { Target } from '../../../vm/target.js';
import { GUEST_DIRS } from '../../../vm/session.js';
import { holdForLogin } from './vm.js';
import { interruptedBy } from '../../../common/interrupt.js';
import { buildPlan } from '../../plan.js';
import { ReporterSet, type ReporterSpec } from '../../reporters/outputs.js';
import { writeStepSummary } from '../../reporters/markdown.js';
import { runPlan } from '../../runner/run.js';
import { backendFor } from '../../../vm/backends/index.js';
import { loadCrashPolicy } from '../../../vm/crash/policy.js';
import { setQuiet } from '../../../common/progress.js';
import { exitCodeOf } from '../exit-codes.js';
import type { Shard } from '../flags.js';
import { prepareOutDir } from '../out-dir.js';
import { ensureCacheWritable } from '../../../common/writable-dir.js';

export interface RunFlags {
  kernel: string[];
  target: string;
  /** Absent: the default set (spec on stdout, junit.xml under the --out dir). */
  reporter?: ReporterSpec[];
  out?: string;
  force?: boolean;
  jobs: number;
  kernelJobs: number;
  shard?: Shard;
  grep?: string;
  exclude?: string;
  tag: string[];
  update?: boolean;
  quiet?: boolean;
  crashPolicy?: string;
  fresh?: boolean;
  csv?: string;
  veristatCsv?: string;
  keepFailed?: boolean;
  retries: number;
  /** The backends' own flags (cli/backend-flags.ts), by their camelCase names. */
  [backendFlag: string]: unknown;
}

/** What a run writes without --reporter: spec on stdout; JUnit and the HTML report beside results.json. */
export const defaultReporters = (outDir: string): ReporterSpec[] => [{ name: 'spec' }, { name: 'junit', file: join(outDir, 'junit.xml') }, { name: 'html', file: join(outDir, 'report.html') }];

/** --csv and --veristat-csv, written once the run is over. */
export function writeCsvs(results: ScenarioResult[], csv: string | undefined, veristat: Map<string, string> | undefined): void {
  if (csv) writeFileSync(csv, programsCsv(results));
  for (const [kernel, file] of veristat ?? []) writeFileSync(file, veristatCsv(results, kernel));
}

export async function runCommand(paths: string[], flags: RunFlags): Promise<number> {
  // --reporter, the backends' flags and the numbers were checked as the command line was parsed (main.ts).
  // The backend --target names checks its own flags and refuses the others'.
  const target = backendFor(flags.target, { ...flags });
  // An SSH host runs its own kernel once per scenario; --kernel then only names whose
  // expect_by_kernel applies to it.
  const entries = buildPlan(paths.length ? paths : ['scenarios'], {
    kernels: target.backend.planKernels(target.config, flags.kernel),
    grep: flags.grep, exclude: flags.exclude, tags: flags.tag, shard: flags.shard, checkKernels: true, kernelsAreRecipes: target.backend.kernelsAreRecipes,
  });
  // Checked before anything boots: a run must not end in a file it cannot write.
  const veristatFiles = flags.veristatCsv ? veristatCsvFiles(flags.veristatCsv, entries.map((e) => e.kernel.name)) : undefined;
  if (typeof veristatFiles === 'string') throw new BadInputError(`--veristat-csv ${flags.veristatCsv}: ${veristatFiles}`, { hint: 'put {kernel} in the file name, e.g. --veristat-csv out/{kernel}.csv' });
  loadCrashPolicy(flags.crashPolicy);
  // The user's report files are checked before the cache and the --out dir are made (a bad
  // path changes nothing else), and opened, so emptied, only once nothing else can refuse.
  if (flags.reporter) ReporterSet.check(flags.reporter);
  ensureCacheWritable();
  const outDir = prepareOutDir('run', flags);
  if (flags.quiet) setQuiet(true);
  const reporter = ReporterSet.open(flags.reporter ?? defaultReporters(outDir), process.stdout);
  // --keep-failed: the guest of the first scenario that fails is kept up once the run is over.
  let kept: { target: Target; file: string; kernel: string; slug: string } | undefined;
  const keep = (target: Target, scenario: { file: string; kernel: string; slug: string }) => {
    if (kept) return false;
    kept = { target, ...scenario };
    return true;
  };
  const run = await runPlan(entries, {
    ...(flags.keepFailed ? { keep } : {}),
    outDir, target, jobs: flags.jobs, kernelJobs: flags.kernelJobs, update: !!flags.update, reporter, crashPolicy: flags.crashPolicy, freshGuests: !!flags.fresh, retries: flags.retries,
  });
  const tail = reporter.runFinished(run);
  if (tail) process.stdout.write(tail);
  await reporter.closed();
  writeStepSummary(run);
  writeCsvs(run.scenarios, flags.csv, veristatFiles);
  // A run stopped by Ctrl-C keeps nothing up.
  if (kept && interruptedBy()) await kept.target.close();
  else if (kept) {
    const k = kept;
    await holdForLogin(k.target.loginInfo!(), () => k.target.close(), `--keep-failed: the guest ${k.file} [${k.kernel}] failed on is up, as the scenario left it (not cleaned up: its pins in ${GUEST_DIRS.pins}/${k.slug}, its files in ${GUEST_DIRS.work}/${k.slug})`);
  } else if (flags.keepFailed) {
    process.stdout.write('--keep-failed: no scenario failed on a guest, nothing kept\n');
  }
  return exitCodeOf(run);
}
