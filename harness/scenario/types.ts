// The scenario file (the v1 contract, README "Scenario files") after validation. The zod schema in
// schema.ts must produce exactly these shapes; the runner only reads these types.

/** A log pattern as the kernel selftests' __msg: plain substring, or {{ERE}} parts. */
export type Pattern = string;

/** "<= 1000", "< 50", ">= 3", "== 12", or a bare number meaning "==". */
export type Comparison = string;

export type Privilege =
  | 'root'
  | 'user'
  | { caps: string[] }
  | { token: { cmds?: string[]; maps?: string[]; progs?: string[]; attachs?: string[] } };

export interface Expect {
  /** load steps */
  loaded?: boolean;
  errno?: string;
  log?: Pattern[];
  not_log?: Pattern[];
  insns?: Comparison;
  states?: Comparison;
  /** run steps */
  exit?: number;
  stdout?: Pattern[];
  stderr?: Pattern[];
  /** any step: expect_by_kernel may set skip: true (or the reason) to skip this step on that kernel */
  skip?: boolean | string;
}

interface StepBase {
  id: string;              // given, or "step-N" (1-based) when the file has none
  as: Privilege;           // default 'root'
  expect: Expect;          // default {}
  /** 1-based position of the step's node in the file, for messages. */
  line: number;
  col: number;
}

export interface LoadStep extends StepBase {
  kind: 'load';
  load: string;                    // key of programs:
  via: 'prog' | 'struct_ops';      // default 'prog'
  log_file?: string;               // golden file, relative to the scenario file's directory
}

export interface RunStep extends StepBase {
  kind: 'run';
  run: string;
  timeout_ms?: number;             // from "timeout: 10s"
}

export interface DmesgStep extends StepBase {
  kind: 'dmesg';
  within_ms: number;               // from "dmesg: {within: 5s}"
}

export type Step = LoadStep | RunStep | DmesgStep;

export interface Normalize {
  /** JS regex source (no slashes), applied with the global flag */
  match: string;
  replace: string;
}

/** A program's source: a file (absolute path) or a path in the kernel's source tree. */
export type ProgramSource = string | { tree: string };

/** Selftest files: a file of the user's (absolute path) or a glob in the kernel's source tree. */
export type SelftestSource = string | { tree: string };

/** Per-program override in expect_by_kernel, keyed "FILE/PROG" (e.g. verifier_and.c/invalid_range_check). */
export interface ProgramOverride {
  /** Skip the program on that kernel, for this reason. */
  skip: string;
}

/** The runners of tools/testing/selftests/bpf that BPF CI runs (kernel-patches/vmtest's matrix). */
export const RUNNER_NAMES = ['test_progs', 'test_progs-no_alu32', 'test_progs-cpuv4', 'test_verifier', 'test_maps'] as const;
export type RunnerName = (typeof RUNNER_NAMES)[number];

/** A scenario that runs one of the kernel tree's own runners, judged test by test. */
export interface RunnerSpec {
  name: RunnerName;
  /** Entries in test_progs' -a syntax ("TEST", "TEST/SUBTEST", * globs): only these are reported; empty: every test. */
  allow: string[];
  /** Entry -> why it cannot pass here: reported as skipped (denied) with the reason. */
  deny: Record<string, string>;
  /** Merge the tree's DENYLIST and DENYLIST.<arch> as BPF CI does (default true). */
  tree_denylist: boolean;
  /** test_progs: seconds one test may run before it counts as hung. */
  test_timeout: number;
  /** Where each entry is written: allow by index, deny by entry (errors that need the kernel's test list). */
  at?: { allow: { line: number; col: number }[]; deny: Record<string, { line: number; col: number }> };
}

/** 6.12's test_progs has no watchdog of its own: ten minutes, generous for one test even under TCG. */
export const DEFAULT_TEST_TIMEOUT_S = 600;

export interface Scenario {
  /** Absolute path of the file. */
  file: string;
  name: string;
  seed?: string;
  tags: string[];
  kernels: string[];
  requires: { kconfig: string[] };
  /** name -> absolute path of the BPF C source, or a file of the kernel's own source tree */
  programs: Record<string, ProgramSource>;
  /** Why it is skipped on every kernel, without building anything of it. */
  skip?: string;
  /** Runs on a guest booted for it alone (default false: guests are reused with a reset between). */
  fresh: boolean;
  /** Crashes known on some kernels that do not fail this scenario (title: an RE2 source against the crash title). */
  known_crashes?: { title: string; kernels?: string[]; why: string }[];
  /** compare counts a dmesg step's log that differs even when its verdict does not. */
  exact_logs?: boolean;
  /** The guest may reach the host and beyond (booted without restrict=on, for this scenario alone). */
  network: boolean;
  /** A guest of its own with at least this much memory (MiB): the tree's runners need more than the default. */
  memory_mib?: number;
  steps: Step[];
  /** One of the kernel tree's own runners, test by test. */
  runner?: RunnerSpec;
  /** Files of BPF selftests judged program by program from their own tags (test_loader.c's rules). */
  selftests: SelftestSource[];
  /** The unprivileged mode of selftest programs that have one: run (default) or skip. */
  unpriv: 'run' | 'skip';
  /** "FILE/PROG" (every mode) or "FILE/PROG @unpriv" -> why it cannot pass here: skipped on every kernel, and reported as denied. */
  deny: Record<string, string>;
  /** kernel name -> step id -> expect override (replaces the listed keys of that step's expect) */
  expect_by_kernel: Record<string, Record<string, Expect>>;
  /** kernel name -> "FILE/PROG" or "FILE/PROG @unpriv" -> override of a selftest program (from expect_by_kernel keys with a "/"). */
  program_overrides: Record<string, Record<string, ProgramOverride>>;
  normalize: Normalize[];
}
