// The result model every reporter reads. One ScenarioResult per (scenario x kernel).

export type Outcome = 'pass' | 'fail' | 'skip' | 'error';

/** Why one expectation failed, with enough context to act on it. */
export interface Failure {
  /** Which expectation: "log[1]", "not_log[0]", "loaded", "errno", "exit", "stdout[0]", "insns", "log_file". */
  expectation: string;
  /** One line: what was expected and what was seen. */
  message: string;
  /** The pattern that failed, as written in the scenario. */
  pattern?: string;
  /** 1-based line of the normalized log where matching stopped (the line after the last match). */
  stoppedAtLine?: number;
  /** Ordered patterns of the same list that matched before this one failed, with their 1-based lines. */
  matchedBefore?: { index: number; pattern: string; line: number }[];
  /** Unified diff (expected vs actual), for log_file goldens or a short listing of the log around the stop. */
  diff?: string;
}

export interface VerifierStats {
  insns: number;
  states: number;
  peakStates?: number;
}

export interface StepResult {
  id: string;
  kind: 'load' | 'run' | 'dmesg';
  outcome: Outcome;
  durationMs: number;
  /** load: whether every program loaded; errno name (EACCES, EINVAL, ...) when not. */
  loaded?: boolean;
  errno?: string;
  /** run: exit code, stdout, stderr. */
  exit?: number;
  stdout?: string;
  stderr?: string;
  /** Normalized verifier log (load) or kernel messages (dmesg). */
  log?: string;
  stats?: VerifierStats;
  /** load: each program of the object, with veristat's stats from its own log. */
  programs?: StepProgram[];
  failures: Failure[];
  /** Artifact files written for this step, relative to the run's --out dir. */
  artifacts: string[];
  skipReason?: string;
  /** Output bytes past the step's capture limit (16 MiB a stream), counted and dropped; only when some were. */
  outputDropped?: { stdout: number; stderr: number };
}

/** veristat's columns for one program: total_insns, total_states, peak_states, max_states_per_insn, mark_read. */
export interface ProgramStats {
  insns: number;
  states?: number;
  peakStates?: number;
  maxStatesPerInsn?: number;
  markRead?: number;
}

/** A program of a load step's object, as veristat reports one. */
export interface StepProgram {
  /** The object's file name (the source's, .c -> .o), veristat's file_name. */
  file: string;
  prog: string;
  /** root (priv) or the step's `as:` user (unpriv). */
  mode: 'priv' | 'unpriv';
  loaded: boolean;
  errno?: string;
  stats?: ProgramStats;
  /** The verifier's own "verification time", veristat's duration. */
  durationUs?: number;
}

/** One selftest program in one mode, judged from its own tags (test_loader.c's rules). */
export interface ProgramResult {
  /** The source file's base name, e.g. verifier_and.c. */
  file: string;
  prog: string;
  /** __description, when the program has one. */
  description?: string;
  mode: 'priv' | 'unpriv';
  outcome: 'pass' | 'fail' | 'skip';
  /** skip: always; fail: what went wrong, in one line. */
  reason?: string;
  /** On deny: the scenario's deny list skipped it (the reason says why). */
  denied?: boolean;
  /** Did the load succeed (veristat's verdict success/failure); absent when it did not run. */
  loaded?: boolean;
  errno?: string;
  retval?: number;
  stats?: ProgramStats;
  /** Load time, as the loader measured it. */
  durationUs?: number;
  /** Hash of the normalized verifier log (kernel addresses, ids and timings masked), for compare. */
  logHash?: string;
  failures: Failure[];
  /** The verifier log (and xlated text) of a failed program, relative to --out. */
  artifact?: string;
}

/** One test or subtest of a kernel tree's own runner (a scenario's runner:). */
export interface RunnerTest {
  runner: string;
  /** The name the runner prints: "bpf_cookie" (test_progs), the description (test_verifier). */
  test: string;
  /** "multi_kprobe_link_api" (test_progs); "u" or "p", the unprivileged or privileged run (test_verifier); absent for a test's own row. */
  subtest?: string;
  /** As the runner numbers it: "#12", "#12/3", "#0/p". */
  number: string;
  outcome: 'pass' | 'fail' | 'skip';
  /** skip: why (the runner's words, or the deny list and its comment); fail: the first line of what the runner said. */
  reason?: string;
  durationMs?: number;
  /** fail: what the runner printed for it (cut where huge). */
  log?: string;
}

export interface ScenarioResult {
  /** Scenario file, relative to the working directory. */
  file: string;
  name: string;
  kernel: string;
  outcome: Outcome;
  durationMs: number;
  steps: StepResult[];
  /** selftests: each program and mode, in file order. */
  programs?: ProgramResult[];
  /** runner: each test and subtest the scenario selects, in the runner's order. */
  tests?: RunnerTest[];
  /** skip: the unmet requirement; error: what broke (infrastructure). */
  reason?: string;
  /** Last lines of the guest console, attached to infrastructure errors and boot failures. */
  consoleTail?: string;
  /** Planned but not run (or not finished) because the run was interrupted; outcome `skip`. */
  notRun?: boolean;
  /** The scenario asked for a network (`network: true`): its guest could reach the host and beyond. */
  network?: boolean;
  /** The guest never came up for this scenario: the crash title the console showed, or what happened instead (the reason says `boot failed: TITLE`). */
  bootFailed?: string;
  /** The kernel crashed while the scenario ran (crash policy, vm/crash/policy.yaml). */
  crash?: CrashReport;
  /** Crashes the scenario declares known on this kernel (known_crashes), seen while it ran: reported, not failed. */
  knownCrashes?: { title: string; why: string; artifact: string }[];
  /**
   * A scenario that failed was run again on fresh guests (--retries): how many times it
   * ran, and each failed try. Failed on every try: the outcome is fail (a failure that
   * repeats); passed on one: the outcome is pass and the scenario is flaky.
   */
  tries?: Tries;
}

export interface Tries {
  runs: number;
  failed: { try: number; reason: string; artifactDir: string }[];
}

/** Failed on some tries and passed on another. */
export const isFlaky = (r: ScenarioResult): boolean => !!r.tries && r.outcome === 'pass' && r.tries.failed.length > 0;

export interface CrashReport {
  kind: string;
  /** e.g. "kernel panic: sysrq triggered crash", "WARNING in foo (kernel/bar.c:12)" */
  title: string;
  source: 'console' | 'dmesg';
  /** The line that matched, without its timestamp. */
  line: string;
  /** The matching line and the lines around it. */
  excerpt: string;
  /** crash.txt, relative to the run's --out dir. */
  artifact: string;
}

/**
 * A kernel of the run as the plan resolved it (name, arch, recipe source kind), with what
 * its pool found when it opened (release, where it came from): compare and the reports
 * say what each side ran.
 */
export interface RunKernel {
  name: string;
  arch: string;
  /** The recipe's source kind (debian-image, debian-source, git, path); absent for a host's own kernel. */
  source?: string;
  /** uname -r, once its pool opened. */
  release?: string;
  /** e.g. "linux-source-6.12 6.12.57-1 + 2 patch file(s)", "ssh://ci@host". */
  origin?: string;
}

export interface RunResult {
  startedAt: string;
  durationMs: number;
  target: string;
  accel?: string;
  /** The plan's kernels, in its order (absent in results written before 2026-12-07). */
  kernels?: RunKernel[];
  scenarios: ScenarioResult[];
  /** Directory holding the artifacts (verifier logs, console log, plan). */
  outDir: string;
  /** The run was stopped by this signal: scenarios it did not finish are marked `notRun`. */
  interrupted?: string;
}
