// bpf-harness run [PATH...]
import { writeFileSync } from 'node:fs';
import { BadInputError } from '../../errors.js';
import { programsCsv, veristatCsv, veristatCsvFiles } from '../../results/csv.js';
import type { ScenarioResult } from '../../results/model.js';
import { buildPlan } from '../../plan.js';
import { makeReporter, type ReporterName } from '../../reporters/reporter.js';
import { runPlan, type TargetChoice } from '../../runner/run.js';
import { loadCrashPolicy } from '../../../vm/crash/policy.js';
import { parseSshTarget } from '../../ssh-host/address.js';
import { defaultKnownHosts } from '../../ssh-host/known-hosts.js';
import { setQuiet } from '../../progress.js';
import { checkKernels, knownRecipes } from '../../../kernels/resolve.js';
import type { AccelChoice } from '../../../vm/qemu/accel.js';
import { exitCodeOf } from '../exit-codes.js';
import type { Shard } from '../flags.js';
import { outDirFor } from '../out-dir.js';
import { ensureCacheWritable, ensureOutDirWritable } from '../../writable-dir.js';

export interface RunFlags {
  kernel: string[];
  target: string;
  reporter: ReporterName;
  out?: string;
  jobs: number;
  shard?: Shard;
  grep?: string;
  update?: boolean;
  accel: AccelChoice;
  memory: number;
  cpus: number;
  quiet?: boolean;
  identity?: string;
  knownHosts?: string;
  acceptNewHostKey?: boolean;
  crashPolicy?: string;
  fresh?: boolean;
  csv?: string;
  veristatCsv?: string;
}

function targetChoice(flags: RunFlags): TargetChoice {
  if (flags.target === 'qemu') {
    for (const [set, flag] of [[flags.identity, '--identity'], [flags.knownHosts, '--known-hosts'], [flags.acceptNewHostKey, '--accept-new-host-key']] as const) {
      if (set) throw new BadInputError(`${flag} applies to --target ssh://user@host only`, { hint: `drop ${flag}, or add --target ssh://user@host[:port]` });
    }
    return { kind: 'qemu' };
  }
  if (flags.kernel.length > 1) {
    throw new BadInputError(`--kernel given ${flags.kernel.length} times with --target ${flags.target}: a host runs one kernel`, {
      hint: 'give at most one --kernel: the recipe name whose expect_by_kernel entries apply to the host',
    });
  }
  const address = parseSshTarget(flags.target);
  return {
    kind: 'ssh', url: flags.target,
    host: { address, identity: flags.identity, knownHosts: flags.knownHosts ?? defaultKnownHosts(), acceptNewHostKey: !!flags.acceptNewHostKey },
  };
}

/** --csv and --veristat-csv, written once the run is over. */
export function writeCsvs(results: ScenarioResult[], csv: string | undefined, veristat: Map<string, string> | undefined): void {
  if (csv) writeFileSync(csv, programsCsv(results));
  for (const [kernel, file] of veristat ?? []) writeFileSync(file, veristatCsv(results, kernel));
}

export async function runCommand(paths: string[], flags: RunFlags): Promise<number> {
  // --reporter, --accel and the numbers were checked as the command line was parsed (main.ts).
  const target = targetChoice(flags);
  // An SSH host runs its own kernel once per scenario; --kernel then only names whose
  // expect_by_kernel applies to it.
  const entries = buildPlan(paths.length ? paths : ['scenarios'], {
    kernels: target.kind === 'ssh' ? [flags.kernel[0] ?? `ssh:${target.host.address.host}`] : flags.kernel,
    grep: flags.grep, shard: flags.shard, knownKernels: knownRecipes(),
  });
  if (target.kind === 'qemu') checkKernels(entries.map((e) => e.kernel));
  // Checked before anything boots: a run must not end in a file it cannot write.
  const veristatFiles = flags.veristatCsv ? veristatCsvFiles(flags.veristatCsv, entries.map((e) => e.kernel)) : undefined;
  if (typeof veristatFiles === 'string') throw new BadInputError(`--veristat-csv ${flags.veristatCsv}: ${veristatFiles}`, { hint: 'put {kernel} in the file name, e.g. --veristat-csv out/{kernel}.csv' });
  loadCrashPolicy(flags.crashPolicy);
  ensureCacheWritable();
  const outDir = outDirFor('run', flags.out);
  ensureOutDirWritable(outDir);
  if (flags.quiet) setQuiet(true);
  const reporter = makeReporter(flags.reporter, process.stdout);
  const run = await runPlan(entries, {
    outDir, target, jobs: flags.jobs, accel: flags.accel, memoryMiB: flags.memory, cpus: flags.cpus, update: !!flags.update, reporter, crashPolicy: flags.crashPolicy, freshGuests: !!flags.fresh,
  });
  const tail = reporter.runFinished(run);
  if (tail) process.stdout.write(tail);
  writeCsvs(run.scenarios, flags.csv, veristatFiles);
  return exitCodeOf(run);
}
