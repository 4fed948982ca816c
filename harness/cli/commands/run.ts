// bpf-harness run [PATH...]
import { BadInputError } from '../../errors.js';
import { buildPlan } from '../../plan.js';
import { makeReporter, type ReporterName } from '../../reporters/reporter.js';
import { runPlan } from '../../runner/run.js';
import { setQuiet } from '../../progress.js';
import { checkKernels } from '../../../kernels/resolve.js';
import { exitCodeOf } from '../exit-codes.js';
import { outDirFor } from '../out-dir.js';

export interface RunFlags {
  kernel: string[];
  target: string;
  reporter: ReporterName;
  out?: string;
  jobs: string;
  shard?: string;
  grep?: string;
  update?: boolean;
  accel: string;
  memory: string;
  quiet?: boolean;
}

const REPORTERS = ['spec', 'tap', 'junit', 'json'];

function positiveInt(flag: string, v: string): number {
  if (!/^[1-9][0-9]*$/.test(v)) throw new BadInputError(`${flag} ${v}: expected a positive integer`);
  return Number(v);
}

export function parseShard(v: string | undefined): { index: number; count: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^([1-9][0-9]*)\/([1-9][0-9]*)$/.exec(v);
  if (!m || Number(m[1]) > Number(m[2])) throw new BadInputError(`--shard ${v}: expected I/N with 1 <= I <= N, e.g. --shard 2/4`);
  return { index: Number(m[1]), count: Number(m[2]) };
}


export async function runCommand(paths: string[], flags: RunFlags): Promise<number> {
  if (!REPORTERS.includes(flags.reporter)) throw new BadInputError(`--reporter ${flags.reporter}: expected one of ${REPORTERS.join(', ')}`);
  if (flags.target !== 'qemu') {
    throw new BadInputError(`--target ${flags.target}: only qemu is supported by this version yet`, { hint: 'drop --target, or use --target qemu' });
  }
  if (!['auto', 'kvm', 'tcg'].includes(flags.accel)) throw new BadInputError(`--accel ${flags.accel}: expected auto, kvm or tcg`);
  const jobs = positiveInt('--jobs', flags.jobs);
  const memoryMiB = positiveInt('--memory', flags.memory);
  const entries = buildPlan(paths.length ? paths : ['scenarios'], {
    kernels: flags.kernel, grep: flags.grep, shard: parseShard(flags.shard),
  });
  checkKernels(entries.map((e) => e.kernel));
  if (flags.quiet) setQuiet(true);
  const outDir = outDirFor('run', flags.out);
  const reporter = makeReporter(flags.reporter, process.stdout);
  const run = await runPlan(entries, {
    outDir, jobs, accel: flags.accel as 'auto', memoryMiB, update: !!flags.update, reporter,
  });
  const tail = reporter.runFinished(run);
  if (tail) process.stdout.write(tail);
  return exitCodeOf(run);
}
