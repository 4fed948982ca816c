#!/usr/bin/env node
// bpf-harness command line. Exit codes: 0 passed, 1 a scenario failed, 2 bad input, 3 infrastructure.
import { Command, CommanderError, Option } from 'commander';
import { REPORTERS } from '../reporters/reporter.js';
import { parseReporter } from '../reporters/outputs.js';
import { withBackendFlags } from './backend-flags.js';
import { PROGRESS_MODES, startProgress, type ProgressMode } from './progress/render.js';
import { choiceOption, FLAG_MAX, intOption, parsePercentFlag, parseShard } from './flags.js';
import { BadInputError, BootError, InfraError } from '../../common/errors.js';
import { catchSignals, exitCodeFor, interruptedBy } from '../../common/interrupt.js';
import { EXIT } from './exit-codes.js';
import { cacheErrorOf } from '../../common/writable-dir.js';
import { runCommand, type RunFlags } from './commands/run.js';
import { kernelBuild, kernelGc, kernelList } from './commands/kernel.js';
import { vmDown, vmSsh, vmUp } from './commands/vm.js';
import { reportHtmlCommand, reportMergeCommand, type ReportMergeFlags } from './commands/report.js';
import { doctor } from './commands/doctor.js';
import { COMPARE_REPORTERS, compareCommand, type CompareFlags } from './commands/compare.js';
import { bisectCommand } from './commands/bisect.js';
import { listCommand, validateCommand, type ListFlags } from './commands/list.js';
import { initCommand } from './commands/init.js';
import { reproduceCommand, type ReproduceFlags } from './commands/reproduce.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../common/paths.js';
import { DEFAULT_RETRIES } from '../runner/workers.js';

const collect = (v: string, prev: string[]) => [...prev, v];
/** package.json's version, as `bpf-harness --version` prints it. */
const version = () => (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
// Every command with --out takes it.
const FORCE = 'write into an --out directory that already holds files (files of the same names are replaced)';

const thresholdOption = () =>
  new Option('--threshold <pct>', 'verifier stats deltas (per program: selftests and load steps\' objects) under this many percent are not listed as changes').argParser(parsePercentFlag).default(5);

// Under TCG a guest leaves the host idle while it waits on SSH, sleeps and timers: two
// kernels at once ran the kfunc matrix 1.55x faster than one after the other on 2 cores.
const kernelJobsOption = () =>
  intOption('--kernel-jobs <n>', 'kernels to run at once, each on its own --jobs guests (1: one kernel after the other)', 1, FLAG_MAX.kernelJobs, 2);

const retriesOption = () =>
  intOption('--retries <n>', 'run a scenario that fails again, each time on a fresh guest, up to this many more times: one that then passes is reported flaky (k of n), not failed', 0, FLAG_MAX.retries, DEFAULT_RETRIES);

const progressOption = () =>
  choiceOption('--progress <mode>', 'how progress is shown on stderr: bars (a terminal), lines (CI logs, pipes: a line per phase, a heartbeat at most every 30 s), json (NDJSON, an event a line); auto picks bars or lines', PROGRESS_MODES, 'auto');

/** Stops the progress renderer a command started (its bars cleared), once. */
let stopProgress: (() => void) | undefined;
const endProgress = () => {
  stopProgress?.();
  stopProgress = undefined;
};

/** --reporter NAME[=FILE], repeatable: several reporters at once, one of them on stdout. */
function reporterOption(dflt: string): Option {
  return new Option('-r, --reporter <name[=file]>', `a report: ${REPORTERS.join(', ')}, on stdout or, with =FILE, in that file (repeatable; ${dflt})`).argParser(parseReporter);
}

/** The selection flags of run, compare and list: which scenarios of the paths the plan holds. */
function withSelection(c: Command): Command {
  return c
    .option('-g, --grep <regex>', 'only scenarios whose name, file or tag matches (selftests: else only the programs whose FILE/PROG or description matches)')
    .option('--exclude <regex>', 'leave out scenarios whose name, file or tag matches (selftests: else the programs whose FILE/PROG or description matches, as test_progs -d)')
    .option('-t, --tag <tag>', 'only scenarios with this tag, exactly (repeatable: any of them); scenarios tagged full run only when --tag full names them (or their file is named)', collect, []);
}

function program(setExit: (n: number) => void): Command {
  const p = new Command('bpf-harness')
    .description('Boot real kernels in QEMU, load BPF programs with bpftool over SSH, and check the verifier logs against YAML scenarios.')
    .version(`bpf-harness ${version()}`, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .hook('preAction', (_, action) => {
      const mode = action.opts().progress as ProgressMode | undefined;
      if (mode) stopProgress = startProgress(mode);
    });

  withBackendFlags(withSelection(p.command('run')
    .description('run scenario files (default: everything under scenarios/) on their kernels')
    .argument('[path...]', 'scenario files or directories'))
    .option('-k, --kernel <name|file>', 'kernel recipe to run on (repeatable); overrides the scenarios\' kernels:', collect, [])
    .option('--target <target>', 'where to run: qemu (guests of each kernel) or ssh://user@host[:port] (that machine\'s running kernel; never rebooted)', 'qemu')
    .option('--crash-policy <file>', 'crash policy instead of vm/crash/policy.yaml (regexes for panics, Oops, BUG, WARNING, ... and an allow-list)')
    .addOption(reporterOption('default: spec on stdout, and junit.xml and report.html under --out'))
    .option('-o, --out <dir>', 'artifacts directory, new or empty (verifier logs, console log, plan, results.json; default out/run-DATE-TIME)', undefined)
    .option('--force', FORCE)
    .addOption(intOption('-j, --jobs <n>', 'guests to run in parallel per kernel (ssh targets: always 1)', 1, FLAG_MAX.jobs, 1))
    .addOption(kernelJobsOption())
    .option('--fresh', 'boot a guest for every scenario instead of reusing guests with a reset between (as if each said fresh: true)')
    .addOption(retriesOption())
    .option('--shard <i/n>', 'run only shard I of N (deterministic split of the plan)', parseShard)
    .option('-u, --update', 'rewrite log_file goldens from what the kernel printed')
    .option('--keep-failed', 'keep the guest of the first failing scenario up after the run, as the scenario left it (its cleanup not run), and print how to ssh into it; Ctrl-C stops it')
    .option('--csv <file>', 'a row per program (selftests, and each program of a load step\'s object), mode and kernel: veristat\'s columns, then kernel,mode,outcome,reason,scenario,step')
    .option('--veristat-csv <file>', 'exactly veristat\'s columns (privileged mode; selftests and load steps\' programs), for veristat -C; {kernel} in the name gives a file per kernel')
    .option('-q, --quiet', 'no progress lines on stderr')
    .addOption(progressOption()), 'run')
    .action(async (paths: string[], flags: RunFlags) => setExit(await runCommand(paths, flags)));

  withBackendFlags(withSelection(p.command('compare')
    .description('run scenarios on a base and a patched kernel and compare them step by step (verdicts, logs, verifier stats); exit 1 on an undeclared change')
    .argument('[path...]', 'scenario files or directories'))
    .option('--base <name|file>', 'the kernel without the change (with --base-results: which of its kernels, if several)')
    .option('--patched <name|file>', 'the kernel with it (with --patched-results: which of its kernels, if several)')
    .option('--base-results <file>', 'compare saved runs instead (no guests): the base side\'s results.json')
    .option('--patched-results <file>', 'the patched side\'s results.json')
    .addOption(choiceOption('-r, --reporter <name>', 'output format', COMPARE_REPORTERS, 'text'))
    .addOption(thresholdOption())
    .option('--csv <file>', 'a row per program (selftests, and each program of a load step\'s object), mode and kernel (veristat\'s columns, then kernel,mode,outcome,reason,scenario,step)')
    .option('-o, --out <dir>', 'artifacts directory, new or empty (both runs, results.json, comparison.json)')
    .option('--force', FORCE)
    .addOption(intOption('-j, --jobs <n>', 'guests to run in parallel per kernel', 1, FLAG_MAX.jobs, 1))
    .addOption(kernelJobsOption())
    .addOption(retriesOption())
    .option('--base-target <target>', 'where the base side runs: qemu (guests of --base) or ssh://user@host[:port] (that host\'s kernel; --base then only names it)', 'qemu')
    .option('--patched-target <target>', 'where the patched side runs, as --base-target (two hosts: an A/B on real hardware)', 'qemu')
    .option('-q, --quiet', 'no progress lines on stderr')
    .addOption(progressOption()), 'compare')
    .action(async (paths: string[], flags: CompareFlags) => setExit(await compareCommand(paths, flags)));

  p.command('bisect')
    .description('build the base plus each prefix of a patch series and name the first patch that changes a step\'s verdict')
    .requiredOption('--base <name|file>', 'the kernel the series applies to')
    .requiredOption('--series <dir>', 'a directory of git format-patch files (a cover letter is skipped)')
    .requiredOption('--scenario <file>', 'the scenario to run on each prefix')
    .option('--step <id>', 'the step whose verdict to follow (default: any step)')
    .option('--program <file/prog>', 'selftests: the program (FILE/PROG, both modes) whose verdict to follow')
    .option('--test <test[/subtest]>', 'runner scenarios: the test (with its subtests) or subtest whose verdict to follow; only it runs at each prefix')
    .option('--json', 'print the result as JSON')
    .option('-o, --out <dir>', 'artifacts directory, new or empty (one run per prefix)')
    .option('--force', FORCE)
    .option('-q, --quiet', 'no progress lines on stderr')
    .addOption(progressOption())
    .action(async (flags: Parameters<typeof bisectCommand>[0]) => setExit(await bisectCommand(flags)));

  withBackendFlags(p.command('reproduce')
    .description('build a kernel and the same kernel plus a mailing-list series, run scenarios on both, and print the comparison')
    .argument('<mbox>', 'the series: an mbox (b4 am -o DIR MSGID) or a directory of patches')
    .argument('<scenario...>', 'scenario files or directories')
    .option('--base <name|file>', 'the kernel the series applies to', 'scx-6.12')
    .option('--name <name>', 'name for base+series (set it to a kernel name the scenarios\' expect_by_kernel uses)')
    .addOption(choiceOption('-r, --reporter <name>', 'output format', COMPARE_REPORTERS, 'text'))
    .addOption(thresholdOption())
    .option('--csv <file>', 'a row per program (selftests, and each program of a load step\'s object), mode and kernel (veristat\'s columns, then kernel,mode,outcome,reason,scenario,step)')
    .option('-o, --out <dir>', 'artifacts directory, new or empty')
    .option('--force', FORCE)
    .addOption(kernelJobsOption())
    .addOption(retriesOption())
    .option('-q, --quiet', 'no progress lines on stderr')
    .addOption(progressOption()), 'reproduce')
    .action(async (mbox: string, scenarios: string[], flags: ReproduceFlags) => setExit(await reproduceCommand(mbox, scenarios, flags)));

  withSelection(p.command('list')
    .description('the plan run would run (scenario x kernel, and the programs of selftests scenarios as compiled by an earlier run), without building or booting anything')
    .argument('[path...]', 'scenario files or directories (default: scenarios/)'))
    .option('-k, --kernel <name|file>', 'kernel recipe to list for (repeatable); overrides the scenarios\' kernels:', collect, [])
    .option('--json', 'the plan as JSON')
    .action(async (paths: string[], flags: ListFlags) => setExit(await listCommand(paths, flags)));

  p.command('init')
    .description('write a starter suite into a new or empty folder: a scenario, its program, a kernel recipe beside it, a README')
    .argument('<dir>', 'the folder to write')
    .action((dir: string) => setExit(initCommand(dir, repoRoot)));

  p.command('validate')
    .description('check scenario files as run would (schema, patterns, programs, kernels) and report every problem; exit 0 or 2')
    .argument('[path...]', 'scenario files or directories (default: scenarios/)')
    .action((paths: string[]) => setExit(validateCommand(paths)));

  const report = p.command('report').description('reports over the results of earlier runs');
  report.command('merge')
    .description('merge the results.json of sharded runs (run --shard I/N --out DIR) into one report; exit code as run\'s over all of them')
    .argument('<results...>', 'results.json files, one per shard')
    .addOption(reporterOption('default: spec on stdout'))
    .option('-o, --out <dir>', 'also write the merged results.json here, a new or empty directory (artifact paths relative to it)')
    .option('--force', FORCE)
    .action(async (files: string[], flags: ReportMergeFlags) => setExit(await reportMergeCommand(files, flags)));

  report.command('html')
    .description('the HTML report (outcomes with filters, failing steps with their log diffs) of saved runs, shards merged; self-contained')
    .argument('<results...>', 'results.json files')
    .option('-o, --output <file>', 'write it here (default: stdout)')
    .action((files: string[], flags: { output?: string }) => setExit(reportHtmlCommand(files, flags)));

  const kernel = p.command('kernel').description('kernel recipes (kernels/*.yaml)');
  kernel.command('list').description('the kernel recipes, which are built (date, release, size), and their guest snapshots (count, size)')
    .action(async () => setExit(await kernelList()));
  kernel.command('build')
    .description('build a recipe into the cache, or fetch a debian-image one (a cache hit runs no make)')
    .argument('<name|file>')
    .addOption(progressOption())
    .action(async (name: string) => setExit(await kernelBuild(name)));
  kernel.command('gc')
    .description('remove built kernels that no current recipe builds to, the guest snapshots of kernels no longer in the cache, and Debian source trees no recipe uses now (with their .deb, build dirs and tools)')
    .option('--all', 'remove every built kernel, every snapshot and the incremental build dirs too')
    .action(async (o: { all?: boolean }) => setExit(await kernelGc(!!o.all)));

  const vm = p.command('vm').description('a guest to reproduce things by hand');
  withBackendFlags(vm.command('up')
    .description('boot a guest, print the ssh command for it, and keep it until Ctrl-C or `vm down`')
    .option('-k, --kernel <name|file>', 'kernel recipe', 'debian-6.12')
    .addOption(progressOption()), 'vm up')
    .action(async (o: { kernel: string; [backendFlag: string]: unknown }) => setExit(await vmUp(o.kernel, o)));
  vm.command('ssh')
    .description('log into the guest `vm up` holds (OpenSSH), or run a command there')
    .argument('[command...]', 'command to run instead of a shell (put -- before one with options: vm ssh -- ls -l)')
    .action(async (command: string[]) => setExit(await vmSsh(command)));
  vm.command('down')
    .description('stop the guest `vm up` holds')
    .action(async () => setExit(await vmDown()));

  p.command('doctor').description('check the host for what the harness needs, and say how to get what is missing')
    .action(async () => setExit(await doctor()));
  return p;
}

async function main(): Promise<number> {
  let code: number = EXIT.ok;
  catchSignals();
  // Whatever a command made of it, an interrupted command exits 128 + the signal's number.
  const stopped = () => {
    const sig = interruptedBy();
    return sig ? exitCodeFor(sig) : undefined;
  };
  try {
    await program((n) => (code = n)).parseAsync(process.argv);
    endProgress();
    return stopped() ?? code;
  } catch (e) {
    endProgress();
    const sig = stopped();
    if (sig !== undefined) {
      process.stderr.write(`bpf-harness: interrupted (${(e as Error).message.split('\n')[0]})\n`);
      return sig;
    }
    if (e instanceof CommanderError) {
      // commander.help is a command given without its subcommand: usage, like any other slip.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.ok : EXIT.badInput;
    }
    // An unusable cache found past the up-front check is the same user-side problem.
    const bad = e instanceof BadInputError ? e : cacheErrorOf(e);
    if (bad) {
      // Errors built from problems carry their hints in the message already.
      const hint = bad.hint && !bad.problems.length ? `hint: ${bad.hint}\n` : '';
      process.stderr.write(`${bad.message}\n${hint}`);
      return EXIT.badInput;
    }
    // vm up: the kernel's fault, so exit 1 as a run's scenarios on it would.
    if (e instanceof BootError) {
      process.stderr.write(`${e.message}\n${e.consoleTail ? `--- console tail ---\n${e.consoleTail}\n` : ''}`);
      return EXIT.failed;
    }
    if (e instanceof InfraError) {
      process.stderr.write(`infrastructure error: ${e.message}\n${e.consoleTail ? `--- console tail ---\n${e.consoleTail}\n` : ''}`);
      return EXIT.infra;
    }
    process.stderr.write(`internal error: ${(e as Error).stack ?? e}\n`);
    return EXIT.infra;
  }
}

process.exitCode = await main();
