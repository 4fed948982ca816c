// What a scenario's steps share while they run on one target.
import type { CrashPolicy } from '../../vm/crash/policy.js';
import type { SelftestPlan } from '../selftests/run.js';
import type { RunnerPlan } from '../runners/plan.js';
import type { Target } from '../../vm/target.js';
import type { Scenario } from '../scenario/types.js';
import { shellQuote } from '../../vm/transport/ssh.js';

export interface ScenarioContext {
  target: Target;
  scenario: Scenario;
  kernel: string;
  /** program name -> compiled object on the host */
  objects: Map<string, string>;
  /** The scenario's selftests, compiled for this kernel. */
  selftests?: SelftestPlan;
  /** The scenario's runner, built for this kernel, and the tests it keeps. */
  runner?: RunnerPlan;
  /** Per-scenario directory in the guest for pushed objects; root's alone. */
  guestDir: string;
  /** Per-scenario directory that the unprivileged contexts own (TargetDirs.user); made by the run steps. */
  userDir: string;
  /** Per-scenario bpffs directory for pins; removed after the scenario. */
  pinDir: string;
  /** The target's reset helper (TargetDirs.resetHelper). */
  resetHelper: string;
  /** Where this scenario's artifacts go on the host, and that dir relative to --out. */
  artifactDir: string;
  artifactRel: string;
  /** Which kernel messages fail the scenario as a crash. */
  crashPolicy: CrashPolicy;
  /** --update: rewrite log_file goldens from what the kernel printed. */
  update: boolean;
  /** Which try of the scenario this is (1, then 2... when it failed and runs again); $BPF_HARNESS_ATTEMPT in run steps. */
  attempt?: number;
  /** A fresh target in place of this one, mid-scenario (a runner going on after a test that crashed the kernel); absent where none can be had. */
  replaceTarget?: (why: string) => Promise<Target>;
  /** The kernel's messages so far were judged test by test (a runner did): the scan after the scenario starts here. */
  logsJudged?: () => void;
  /** The target went down under a runner's test (why): there is nothing left to clean up on it. */
  down?: string;
}

/** struct_ops loads, and commands (which may start a user-space scheduler). */
export const mayHoldSchedExt = (ctx: ScenarioContext) => hasCommands(ctx) || ctx.scenario.steps.some((s) => s.kind === 'load' && s.via === 'struct_ops');

/**
 * The command that removes a scenario's pins and pushed files. Removing a struct_ops
 * link's pin unregisters it; a sched_ext scheduler then takes a moment to disable, and
 * the next scenario must find the class idle, so the command waits for that (5 s at most).
 */
export function cleanupCommand(ctx: ScenarioContext): string {
  const rm = `rm -rf ${shellQuote(ctx.pinDir)} ${shellQuote(ctx.guestDir)} ${shellQuote(ctx.userDir)}`;
  const st = '/sys/kernel/sched_ext/state';
  const wait = mayHoldSchedExt(ctx)
    ? `; i=0; while [ -r ${st} ] && [ "$(cat ${st})" != disabled ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done`
    : '';
  // Only commands leave processes or change sysctls; bpftool loads do neither. Processes
  // go first: a user-space scheduler they started holds sched_ext until it is killed.
  const reset = hasCommands(ctx) ? `sh ${shellQuote(ctx.resetHelper)} restore ${shellQuote(ctx.pinDir)}; ` : '';
  // Written last: once the kernel log stream shows it, everything the scenario (and its
  // teardown) made the kernel print has arrived, and the crash scan can run.
  return `${reset}${rm}${wait}; echo ${shellQuote(endMarker(ctx))} > /dev/kmsg`;
}

export const hasCommands = (ctx: ScenarioContext) => ctx.scenario.steps.some((s) => s.kind === 'run');

/**
 * Load-only scenarios fold their cleanup into the last step's command (a round trip
 * saved under TCG); scenarios with commands or dmesg steps run it on its own, to read
 * what the reset helper says.
 */
export const foldsCleanup = (ctx: ScenarioContext) => ctx.scenario.steps.every((s) => s.kind === 'load');

/** Written to the kernel log by the cleanup, last (see cleanupCommand). */
export const endMarker = (ctx: ScenarioContext) => `bpf-harness: scenario ${ctx.pinDir.split('/').pop()} ends`;

/** Written to the kernel log when a scenario that reads it begins: dmesg steps read what follows. */
export const dmesgMarker = (ctx: ScenarioContext) => `bpf-harness: scenario ${ctx.pinDir.split('/').pop()} begins`;
