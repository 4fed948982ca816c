// The scenario file v1 (README "Scenario files") as a zod schema. Its output is the
// Scenario of types.ts. Custom issues carry params {hint, at: 'key'} for the YAML loader
// (common/yaml-file.ts).
import { statSync } from 'node:fs';
import path from 'node:path';
import { braceExpand } from 'minimatch';
import { z } from 'zod';
import { isInside, realPathOf, scenarioSandbox } from '../../common/contained.js';
import { displayPath } from '../../common/errors.js';
import { COMPARISON_HINT, COMPARISON_MSG, COMPARISON_RE, formatComparison, parseComparison } from './comparison.js';
import { NORMALIZE_FLAGS, parsePattern } from './pattern-grammar.js';
import { LINEAR_REGEX_HINT, linearRegex } from '../../common/linear-regex.js';
import { DEFAULT_TEST_TIMEOUT_S, RUNNER_NAMES, type Expect, type RunnerSpec, type Scenario, type Step } from './types.js';
import { strict, type Locate, type Path } from '../../common/yaml-file.js';
import { kernelName, KERNEL_MSG } from '../../kernels/recipe/schema.js';

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// --- scalars ---------------------------------------------------------------

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/;
const DURATION_MSG = 'expected a duration like 5s, 500ms, 2m or a number of seconds';
const ERRNO_MSG = 'expected an errno name like EACCES or EPERM';
const ID_MSG = 'a step id is letters, digits, _ . - (starting with a letter or digit)';
const KCONFIG_MSG = 'expected CONFIG_NAME or CONFIG_NAME=value';
const EXIT_MSG = 'expected an exit status, a whole number from 0 to 255';
const PROGRAM_KEY_RE = /^[A-Za-z0-9_.+-]+\.c\/[A-Za-z_][A-Za-z0-9_]*( @unpriv)?$/;
const PROGRAM_KEY_MSG = 'expected FILE/PROG or FILE/PROG @unpriv, e.g. verifier_and.c/invalid_range_check';
/** 512M, 1G, 1.5G: MiB, from 64 MiB (a guest boots with no less) to 256 GiB. */
const memorySize = z.string().regex(/^\d+(\.\d+)?[MG]$/, { error: 'expected a size like 512M or 2G' })
  .transform((s) => Math.round(Number(s.slice(0, -1)) * (s.endsWith('G') ? 1024 : 1)))
  .refine((mib) => mib >= 64 && mib <= 256 * 1024, { error: 'expected from 64M to 256G' });
/** A test_progs list entry: no comma (the runner splits -a lists at commas), no space at either end, printable. */
const testEntry = z.string().regex(/^[^\s,#][^,#]*(?<!\s)$/, { error: 'expected a test name, TEST/SUBTEST or a * glob (no commas or #, no spaces at either end)' });
const PROGRAM_NAME_MSG = 'a program name is letters, digits, _ and - only';

/** Milliseconds for "5s", "500ms", "2m", "3" or 3 (seconds). */
export function parseDuration(v: number | string): number {
  if (typeof v === 'number') return Math.round(v * 1000);
  const m = DURATION_RE.exec(v.trim());
  if (!m) throw new Error(`bad duration ${JSON.stringify(v)}`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

// Node's timers hold at most 2^31-1 ms (24.8 days) and fire at once past that; no step
// should wait anywhere near a day. Zero would switch a watchdog off: every step has one.
const MAX_DURATION_MS = 24 * 3_600_000;
const MIN_DURATION_MS = 100;

export const duration = z
  .union([z.number().nonnegative({ error: DURATION_MSG }), z.string().regex(DURATION_RE, { error: DURATION_MSG })], {
    error: DURATION_MSG,
  })
  .transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms > MAX_DURATION_MS)
      ctx.addIssue({ code: 'custom', message: `expected a duration of at most 24h, got ${JSON.stringify(v)}`, params: { hint: 'write e.g. 30s or 10m' } });
    else if (ms < MIN_DURATION_MS)
      ctx.addIssue({ code: 'custom', message: `expected a duration of at least 100ms, got ${JSON.stringify(v)}: a step's time limit cannot be switched off`, params: { hint: 'write the longest the step may take, e.g. 30s or 10m' } });
    return ms;
  })
  .describe('A duration: "5s", "500ms", "2m", or a bare number of seconds (from 100ms to 24h).');

/** Hints for format messages (zod's format issues carry no params). */
export const FORMAT_HINTS: Record<string, string> = {
  [DURATION_MSG]: 'write e.g. 5s, 500ms or 2m',
  [COMPARISON_MSG]: COMPARISON_HINT,
  [ERRNO_MSG]: 'write the errno name (errno(3)) in capitals, e.g. EACCES',
  [ID_MSG]: 'rename the step, e.g. id: load-enqueue',
  [KERNEL_MSG]: 'name a kernel as its recipe names it (kernels/NAME.yaml)',
  [KCONFIG_MSG]: 'write e.g. CONFIG_BPF_SYSCALL or CONFIG_SCHED_CLASS_EXT=y',
  [EXIT_MSG]: 'write the status the command exits with, e.g. 0 or 1',
  [PROGRAM_KEY_MSG]: 'name the selftest file by its base name and the program by its function name',
  // The name becomes a file name in the guest (NAME.o), so it must not be a path.
  [PROGRAM_NAME_MSG]: 'rename it, e.g. my_prog (and the load: steps that name it)',
};

// The grammars are expect/'s, which the matcher parses with too: what validates, runs.
const comparison = z
  // The types and the pattern are for the JSON Schema (editors); parseComparison decides.
  .union([z.number().int({ error: COMPARISON_MSG }).nonnegative({ error: COMPARISON_MSG }), z.string().regex(COMPARISON_RE, { error: COMPARISON_MSG })], { error: COMPARISON_MSG })
  // One spelling for the comparator: "<= 1000", or "12" for equality.
  .transform((v, ctx) => {
    const c = parseComparison(v);
    if (c) return formatComparison(c);
    ctx.addIssue({ code: 'custom', message: `${COMPARISON_MSG}, got ${JSON.stringify(v)} (counts are whole numbers up to 2^53-1)`, params: { hint: COMPARISON_HINT } });
    return z.NEVER;
  });

const pattern = z.string().superRefine((s, ctx) => {
  const p = parsePattern(s);
  if (!p.ok) ctx.addIssue({ code: 'custom', message: p.message, params: { hint: p.hint } });
});
const patterns = (what: string) =>
  z.array(pattern).describe(`${what} Plain text matches as a substring; {{...}} parts are extended regexes (kernel selftests' __msg rules).`);

const regexSource = z.string().superRefine((s, ctx) => {
  const r = linearRegex(s, NORMALIZE_FLAGS);
  if (r instanceof Error) ctx.addIssue({ code: 'custom', message: r.message, params: { hint: LINEAR_REGEX_HINT } });
});

// --- expect ------------------------------------------------------------------

export const expectShape = {
  loaded: z.boolean().optional().describe('load steps: true if the program must load, false if the load must fail.'),
  errno: z
    .string()
    .regex(/^E[A-Z0-9]+$/, { error: ERRNO_MSG })
    .optional()
    .describe('load steps: the errno a failing load must report, e.g. EACCES.'),
  log: patterns('Patterns the log must contain, in this order.').optional(),
  not_log: patterns('Patterns the log must not contain.').optional(),
  insns: comparison.optional().describe('load steps: the verifier\'s "processed N insns", e.g. "<= 1000".'),
  states: comparison.optional().describe('load steps: the verifier\'s "total_states N", e.g. "< 50".'),
  exit: z
    .number()
    .int({ error: EXIT_MSG })
    .min(0, { error: EXIT_MSG })
    .max(255, { error: EXIT_MSG })
    .optional()
    .describe('run steps: the exit status (0-255).'),
  stdout: patterns('run steps: patterns stdout must contain, in order.').optional(),
  stderr: patterns('run steps: patterns stderr must contain, in order.').optional(),
  skip: z.union([z.boolean(), z.string().min(1)]).optional()
    .describe('Skip this step (meant for expect_by_kernel): true, or the reason. For a selftest program ("FILE/PROG" keys), the reason.'),
};
export const expectSchema = strict(expectShape).describe('What the step must produce.');

export type Kind = 'load' | 'run' | 'dmesg';
export const EXPECT_KEYS: Record<Kind, (keyof Expect)[]> = {
  load: ['loaded', 'errno', 'log', 'not_log', 'insns', 'states', 'skip'],
  run: ['exit', 'stdout', 'stderr', 'skip'],
  dmesg: ['log', 'not_log', 'skip'],
};

function checkExpectKeys(expect: unknown, kind: Kind, at: Path, ctx: z.RefinementCtx): void {
  if (!isObj(expect)) return;
  for (const key of Object.keys(expect)) {
    if (key in expectShape && !EXPECT_KEYS[kind].includes(key as keyof Expect))
      ctx.addIssue({
        code: 'custom',
        path: [...at, key],
        message: `"${key}" does not apply to a ${kind} step (${kind} steps take: ${EXPECT_KEYS[kind].join(', ')})`,
        params: { at: 'key', hint: 'remove it, or move it to a step of the kind it belongs to' },
      });
  }
  if (kind === 'load' && expect['loaded'] === true && expect['errno'] !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: [...at, 'errno'],
      message: 'errno is only checked when the load fails, but loaded is true',
      params: { at: 'key', hint: 'set loaded: false, or remove errno' },
    });
}

// --- privilege -----------------------------------------------------------------

// Linux capability names (include/uapi/linux/capability.h), lower case without CAP_.
const CAPS = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap',
  'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner',
  'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice',
  'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease', 'audit_write', 'audit_control', 'setfcap',
  'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf',
  'checkpoint_restore',
];
const capability = z
  .string()
  .transform((s, ctx) => {
    const name = s.toLowerCase().replace(/^cap_/, '');
    if (!CAPS.includes(name))
      ctx.addIssue({ code: 'custom', message: `unknown capability "${s}"`, params: { hint: 'write a Linux capability name such as bpf, perfmon, net_admin, sys_admin' } });
    return name;
  })
  .describe('A capability: bpf, perfmon, net_admin, sys_admin, ... (CAP_ prefix optional); normalized to lower case without CAP_.');

const delegation = (what: string) =>
  z.array(z.string().regex(/^[a-z0-9_]+$/, { error: 'expected a lower-case bpffs delegate name such as prog_load, xdp or any' }))
    .optional()
    .describe(`BPF token: ${what} (bpffs delegate_* values, "any" for all).`);
const AS_MSG = 'expected root, user, {caps: [...]} or {token: {cmds, maps, progs, attachs}}';

export const privilege = z
  .union(
    [
      z.enum(['root', 'user']),
      strict({ caps: z.array(capability).describe('An unprivileged user holding these capabilities.') }),
      strict({
        token: strict({
          cmds: delegation('commands, e.g. prog_load, map_create, btf_load'),
          maps: delegation('map types'),
          progs: delegation('program types, e.g. xdp'),
          attachs: delegation('attach types'),
        }).describe('A user in a user namespace loading through a BPF token from a delegated bpffs.'),
      }),
    ],
    { error: AS_MSG },
  )
  .describe('Who runs the step: root (default), user, {caps: [...]} or {token: {...}}.');

// --- steps -------------------------------------------------------------------

/**
 * log_file names a file --update writes: it must stay under the scenario's directory,
 * so a scenario from elsewhere cannot make the harness write anywhere else.
 */
function insideScenarioDir(file: string, ctx: z.RefinementCtx): void {
  const hint = 'name a file under the scenario\'s directory, e.g. golden/{kernel}/load.log';
  if (path.isAbsolute(file))
    ctx.addIssue({ code: 'custom', message: `expected a path relative to the scenario file, got the absolute path ${JSON.stringify(file)}`, params: { hint } });
  else if (path.normalize(file).split('/')[0] === '..')
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(file)} leaves the scenario's directory`, params: { hint } });
}

/**
 * The same after symlinks: a link inside the scenario's directory (`outside -> /etc`)
 * would let log_file read a host file into a report and --update overwrite it. The part
 * after `{kernel}` may not exist yet: the runner checks it again for each kernel.
 */
function goldensStayInDir(steps: { log_file?: string }[], dir: string | undefined, ctx: z.RefinementCtx): void {
  if (!dir) return;
  steps.forEach((s, i) => {
    if (!s.log_file || path.isAbsolute(s.log_file)) return;
    const golden = path.resolve(dir, s.log_file.replaceAll('{kernel}', 'kernel'));
    if (isInside(dir, golden)) return;
    ctx.addIssue({
      code: 'custom',
      path: ['steps', i, 'log_file'],
      message: `${JSON.stringify(s.log_file)} leads to ${realPathOf(golden)}, outside the scenario's directory, through a symlink`,
      params: { hint: 'name a file under the scenario\'s directory that no symlink leads out of' },
    });
  });
}

/** A relative path in the kernel tree that does not climb out of it with "..". */
const TREE_PATH_RE = /^(?!\/)(?!.*(^|\/)\.\.(\/|$)).+\.c$/;

/** A glob's braces expand before matching: `{..,a}/x/*.c` and `{/abs,x}/*.c` leave the tree though their text passes TREE_PATH_RE. */
function bracesStayInTree(pattern: string, ctx: z.RefinementCtx): void {
  const out = braceExpand(pattern).find((p) => !TREE_PATH_RE.test(p));
  if (out !== undefined)
    ctx.addIssue({
      code: 'custom',
      message: `the glob's braces expand to ${JSON.stringify(out)}, which leaves the kernel tree`,
      params: { hint: 'braces may only choose among names inside the tree, e.g. progs/verifier_{and,or}.c' },
    });
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const KINDS: Kind[] = ['load', 'run', 'dmesg'];
// Step keys that belong to one kind only.
const ONLY: Record<string, Kind> = { via: 'load', log_file: 'load', timeout: 'run' };

export function stepKinds(step: Record<string, unknown>): Kind[] {
  return KINDS.filter((k) => step[k] !== undefined);
}

const stepShape = {
  id: z
    .string()
    .regex(ID_RE, { error: ID_MSG })
    .optional()
    .describe('Step id, used by expect_by_kernel and in reports; default "step-N".'),
  load: z.string().min(1).optional().describe('Load this program (a key of programs:) with bpftool.'),
  run: z.string().min(1).optional().describe('A shell command to run in the guest.'),
  dmesg: strict({ within: duration })
    .optional()
    .describe('Wait up to `within` for kernel messages (since the scenario began) matching expect.log.'),
  via: z.enum(['prog', 'struct_ops']).optional().describe('load steps: prog (bpftool prog loadall, default) or struct_ops.'),
  as: privilege.optional(),
  expect: expectSchema.optional(),
  log_file: z
    .string()
    .min(1)
    .superRefine(insideScenarioDir)
    .optional()
    .describe('load steps: golden file (relative to this file, inside its directory; {kernel} is replaced) holding the whole normalized log; --update rewrites it.'),
  timeout: duration.optional().describe('run steps: give up after this long.'),
};

export const stepSchema = strict(stepShape)
  .meta({
    description: 'One step: exactly one of load:, run:, dmesg:.',
    oneOf: KINDS.map((k) => ({ required: [k] })),
  })
  .superRefine((step, ctx) => {
    const kinds = stepKinds(step);
    const [kind, second] = kinds;
    if (!kind) {
      ctx.addIssue({
        code: 'custom',
        message: 'none of load:, run:, dmesg: given',
        params: { hint: 'give exactly one: load: PROGRAM, run: COMMAND or dmesg: {within: 5s}' },
      });
      return;
    }
    if (second) {
      ctx.addIssue({
        code: 'custom',
        path: [second],
        message: `both "${kind}:" and "${second}:" given; a step does one thing`,
        params: { at: 'key', hint: 'split it into two steps' },
      });
      return;
    }
    for (const [key, only] of Object.entries(ONLY))
      if (only !== kind && step[key as keyof typeof step] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `"${key}" applies to ${only} steps only, this is a ${kind} step`,
          params: { at: 'key', hint: 'remove it' },
        });
    checkExpectKeys(step.expect, kind, ['expect'], ctx);
  });

// --- the file ------------------------------------------------------------------

const kconfigItem = z
  .string()
  .regex(/^CONFIG_[A-Z0-9_]+(=.+)?$/, { error: KCONFIG_MSG })
  .describe('CONFIG_X (set to y or m) or CONFIG_X=value.');

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Cross-key checks; runs even when other parts failed, so it reads the input defensively. */
function crossCheck(doc: unknown, ctx: z.RefinementCtx): void {
  if (!isObj(doc)) return;
  const steps = Array.isArray(doc['steps']) ? (doc['steps'] as unknown[]) : [];
  const programs = doc['programs'] === undefined ? {} : doc['programs'];
  const known = isObj(programs) ? Object.keys(programs) : undefined;
  const ids = new Map<string, { index: number; kind: Kind | undefined }>();
  steps.forEach((s, i) => {
    if (!isObj(s)) return;
    const id = typeof s['id'] === 'string' ? s['id'] : `step-${i + 1}`;
    const first = ids.get(id);
    if (first)
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i, ...(s['id'] === undefined ? [] : ['id'])],
        message: `duplicate step id "${id}" (step ${first.index + 1} has it too)`,
        params: { hint: 'give every step its own id' },
      });
    else ids.set(id, { index: i, kind: stepKinds(s).length === 1 ? stepKinds(s)[0] : undefined });
    if (typeof s['load'] === 'string' && known && !known.includes(s['load']))
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i, 'load'],
        message: `"${s['load']}" is not a program of this scenario (programs: ${known.join(', ') || 'none'})`,
        params: { hint: 'name a key of programs:, or add it there' },
      });
  });
  const hasSelftests = Array.isArray(doc['selftests']) && doc['selftests'].length > 0;
  if (!steps.length && !hasSelftests && doc['runner'] === undefined && doc['skip'] === undefined && (doc['steps'] === undefined || Array.isArray(doc['steps'])))
    ctx.addIssue({
      code: 'custom',
      path: doc['steps'] === undefined ? [] : ['steps'],
      message: 'a scenario needs at least one step, selftests or a runner',
      params: { hint: 'add steps: (load, run, dmesg), selftests: (files of tagged BPF selftests) or runner: (one of the tree\'s test runners), or skip: with the reason it cannot run' },
    });
  const byKernel = doc['expect_by_kernel'];
  if (!isObj(byKernel)) return;
  for (const [kernel, overrides] of Object.entries(byKernel)) {
    if (!isObj(overrides)) continue;
    for (const [id, expect] of Object.entries(overrides)) {
      const step = ids.get(id);
      if (id.includes('/') && hasSelftests) checkProgramOverride(id, expect, ['expect_by_kernel', kernel, id], ctx);
      else if (!step)
        ctx.addIssue({
          code: 'custom',
          path: ['expect_by_kernel', kernel, id],
          message: `no step "${id}" in this scenario (steps: ${[...ids.keys()].join(', ') || 'none'})`,
          params: { at: 'key', hint: 'use a step id; steps without id: are "step-N", N counting from 1' },
        });
      else if (step.kind) checkExpectKeys(expect, step.kind, ['expect_by_kernel', kernel, id], ctx);
    }
  }
}

/** "FILE/PROG" keys of expect_by_kernel: a selftest program, which takes only skip: "why". */
function checkProgramOverride(id: string, expect: unknown, at: Path, ctx: z.RefinementCtx): void {
  if (!PROGRAM_KEY_RE.test(id)) {
    ctx.addIssue({ code: 'custom', path: at, message: `"${id}": ${PROGRAM_KEY_MSG}`, params: { at: 'key', hint: FORMAT_HINTS[PROGRAM_KEY_MSG] } });
    return;
  }
  if (!isObj(expect)) return;
  for (const key of Object.keys(expect)) {
    if (key !== 'skip' && key in expectShape)
      ctx.addIssue({
        code: 'custom',
        path: [...at, key],
        message: `"${key}" does not apply to a selftest program (FILE/PROG keys take: skip)`,
        params: { at: 'key', hint: 'a selftest program\'s expectations are its own tags; here it can only be skipped, with the reason' },
      });
  }
  if (expect['skip'] === undefined || typeof expect['skip'] === 'boolean')
    ctx.addIssue({
      code: 'custom',
      path: expect['skip'] === undefined ? at : [...at, 'skip'],
      message: 'a selftest program override needs skip: "the reason"',
      params: { hint: 'write e.g. {skip: "needs CONFIG_FOO, which this kernel lacks"}' },
    });
}

// A name outside the known recipes fails here, where its position is known, rather
// than later when the plan resolves it.
function knownKernel(known: string[] | undefined) {
  if (!known) return kernelName;
  return kernelName.superRefine((name, ctx) => {
    if (!known.includes(name))
      ctx.addIssue({
        code: 'custom',
        message: `unknown kernel "${name}" (known: ${known.join(', ')})`,
        params: { hint: 'name a recipe of kernels/ (kernels/NAME.yaml), or pass --kernel' },
      });
  });
}

export interface ScenarioSchemaOptions {
  /** The scenario file; programs resolve against its directory and must exist. */
  file?: string;
  /** Positions of nodes, for Step.line/col. */
  locate?: Locate;
  /** Kernel names kernels: may use (kernels/*.yaml); unchecked when absent. */
  knownKernels?: string[];
}

/** The scenario schema; without options (JSON Schema generation) program files are not checked. */
export function scenarioSchema(opts: ScenarioSchemaOptions = {}) {
  const dir = opts.file ? path.dirname(opts.file) : undefined;
  const sandbox = opts.file ? scenarioSandbox(opts.file) : undefined;
  const locate: Locate = opts.locate ?? (() => ({ line: 0, col: 0 }));
  const tree = strict({
    tree: z
      .string()
      .regex(TREE_PATH_RE, { error: 'expected a relative path to a .c file in the kernel tree, e.g. tools/sched_ext/scx_simple.bpf.c' })
      .describe("A file of the kernel's own source tree, e.g. tools/sched_ext/scx_simple.bpf.c (kernels the harness built or whose Debian source it imported)."),
  });
  const treeGlob = strict({
    tree: z
      .string()
      .regex(TREE_PATH_RE, { error: 'expected a relative path or glob of .c files in the kernel tree, e.g. tools/testing/selftests/bpf/progs/verifier_*.c' })
      .superRefine(bracesStayInTree)
      .describe("Files of the kernel's own source tree, a glob allowed, e.g. tools/testing/selftests/bpf/progs/verifier_*.c."),
  });
  /**
   * A source of the user's (relative to this file, must exist and be a .c) or a {tree:}
   * entry. The file check runs after the union, so its message is not lost in a union failure.
   */
  const sourceOrTree = (key: string, what: string, treeEntry: typeof tree) => z
    .union([z.string().min(1).describe(what), treeEntry])
    .transform((p, ctx) => {
      if (typeof p !== 'string' || !dir) return p;
      const abs = path.resolve(dir, p);
      // clang takes any other name for linker input: it would "compile" it to nothing.
      if (!p.endsWith('.c'))
        ctx.addIssue({
          code: 'custom',
          message: `expected a BPF C source (*.c), got ${JSON.stringify(p)}`,
          params: { hint: 'name the .c file, relative to the scenario file' },
        });
      else if (!isFile(abs))
        ctx.addIssue({ code: 'custom', message: `no such file: ${displayPath(abs)}`, params: { hint: `${key}: paths are relative to the scenario file` } });
      else if (sandbox && !isInside(sandbox, abs))
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(p)} leads to ${realPathOf(abs)}, outside ${sandbox} (the scenario's repository, or its folder when it has none), after symlinks`,
          params: { hint: 'keep the scenario\'s sources inside its repository or folder; copy the file in rather than link to it' },
        });
      return abs;
    });
  const program = sourceOrTree('programs', 'Path of a BPF C source, relative to this file.', tree);
  const selftest = sourceOrTree('selftests', 'A selftest source of yours, relative to this file.', treeGlob);

  return strict({
    name: z.string().min(1).describe('What the scenario shows, one line.'),
    seed: z.string().optional().describe('The seed system it reproduces (free text).'),
    tags: z.array(z.string().min(1)).default([]).describe('Tags for selecting scenarios.'),
    kernels: z.array(knownKernel(opts.knownKernels)).min(1).default(['debian-6.12']).describe('Kernels (names of kernels/*.yaml) to run on; --kernel overrides.'),
    requires: strict({ kconfig: z.array(kconfigItem).default([]).describe('Options the kernel must have; unmet: the scenario is skipped.') })
      .default({ kconfig: [] })
      .describe('What a kernel needs for this scenario to apply.'),
    programs: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, { error: PROGRAM_NAME_MSG }), program).default({}).describe('Programs by name (letters, digits, _ and -): BPF C sources built per kernel, against its BTF.'),
    skip: z.string().min(1, { error: 'give the reason' }).optional()
      .describe('Why this scenario cannot run anywhere (e.g. a test whose checks need its C runner): it is reported as skipped with this reason, and nothing of it is built.'),
    fresh: z.boolean().default(false)
      .describe('Run on a guest of its own, booted for this scenario alone (default: guests are reused, with a reset between scenarios).'),
    known_crashes: z.array(strict({
      title: regexSource.describe('A regular expression (RE2) matched against the crash\'s title, as reports show it, e.g. "WARNING in sub_running_bw".'),
      kernels: z.array(knownKernel(opts.knownKernels)).min(1).optional().describe('The kernels it is known on (default: every kernel).'),
      why: z.string().min(1, { error: 'give the reason' }).describe('What is known of it: the kernel issue, how often it shows, where it is fixed.'),
    })).default([])
      .describe('Kernel crashes (the crash policy\'s findings) known to happen during this scenario on some kernels, that are not what it tests: one of them does not fail the scenario but is reported as a known kernel issue (the guest is still replaced). Any other crash fails it as always.'),
    exact_logs: z.boolean().default(false)
      .describe('compare: a kernel log (dmesg step) that differs between the kernels is a change even when the step\'s verdict is the same on both (default: it is shown, and not counted).'),
    network: z.boolean().default(false)
      .describe('Give the guest a network (a guest of its own, booted without QEMU\'s restrict=on): its commands may reach the host and beyond. Default: the guest reaches nothing; only the harness\'s SSH comes in.'),
    memory: memorySize.optional()
      .describe('A guest of its own with at least this much memory, e.g. 1G or 512M (the run\'s --memory when that is more). The tree\'s runners need more than the default. A host has what it has.'),
    steps: z.array(stepSchema).default([]).describe('What to do, in order.'),
    runner: strict({
      name: z.enum(RUNNER_NAMES, { error: `expected one of: ${RUNNER_NAMES.join(', ')}` }).describe('The runner of tools/testing/selftests/bpf, built from the kernel\'s own tree.'),
      allow: z.array(testEntry).default([]).describe('Only these tests, in test_progs\' -a syntax: TEST or TEST/SUBTEST, * as a glob (default: every test).'),
      deny: z.record(testEntry, z.string().min(1, { error: 'give the reason' })).default({})
        .describe('Tests that cannot pass here (TEST or TEST/SUBTEST, * as a glob), each with the reason: reported as skipped (denied).'),
      tree_denylist: z.boolean().default(true).describe('Merge the tree\'s DENYLIST and DENYLIST.<arch> as BPF CI does (default true).'),
      test_timeout: z.number().int().min(10).max(6 * 3600).default(DEFAULT_TEST_TIMEOUT_S)
        .describe(`test_progs: seconds one test may run before it counts as hung (its failure, and the rest go on in a fresh guest); default ${DEFAULT_TEST_TIMEOUT_S}.`),
    }).optional()
      .describe('Run one of the kernel tree\'s own runners (test_progs and its flavours, test_verifier, test_maps) and judge it test by test.'),
    selftests: z.array(selftest).default([])
      .describe('BPF selftest files (tagged with the tree\'s bpf_misc.h macros), judged program by program from their own tags, as the tree\'s test_loader.c does.'),
    unpriv: z.enum(['run', 'skip']).default('run').describe('selftests: run (default) or skip the unprivileged mode of programs that have one.'),
    deny: z.record(z.string().regex(PROGRAM_KEY_RE, { error: PROGRAM_KEY_MSG }), z.string().min(1, { error: 'give the reason' })).default({})
      .describe('Selftest programs ("FILE/PROG") that cannot pass here, each with the reason: skipped on every kernel and reported as denied.'),
    expect_by_kernel: z
      .record(kernelName, z.record(z.string(), expectSchema))
      .default({})
      .describe('Per kernel, per step id: expect keys replacing those of the step.'),
    normalize: z
      .array(
        strict({
          match: regexSource.describe('A JavaScript regex source (no slashes), applied globally.'),
          replace: z.string().describe('The replacement ($1 etc. allowed).'),
        }),
      )
      .default([])
      .describe('Extra replacements applied to logs before matching and diffing.'),
  })
    .meta({
      title: 'bpf-harness scenario',
      description: 'A bpf-harness scenario (v1): BPF programs to load, commands to run and kernel messages to wait for, with the outcomes expected per kernel.',
      // Steps, selftests, or both; or the reason it is skipped.
      anyOf: [{ required: ['steps'] }, { required: ['selftests'] }, { required: ['runner'] }, { required: ['skip'] }],
    })
    .superRefine(crossCheck, { when: () => true })
    .superRefine((d, ctx) => goldensStayInDir(d.steps, dir, ctx))
    .transform((d): Scenario => ({
      file: opts.file ?? '',
      name: d.name,
      ...(d.seed !== undefined ? { seed: d.seed } : {}),
      tags: d.tags,
      kernels: d.kernels,
      requires: d.requires,
      programs: d.programs,
      ...(d.skip !== undefined ? { skip: d.skip } : {}),
      fresh: d.fresh,
      ...(d.exact_logs ? { exact_logs: true } : {}),
      ...(d.known_crashes.length ? { known_crashes: d.known_crashes } : {}),
      network: d.network,
      ...(d.memory !== undefined ? { memory_mib: d.memory } : {}),
      steps: d.steps.map((s, i) => toStep(s, i, locate)),
      ...(d.runner ? { runner: { ...d.runner, at: entryPositions(d.runner, locate) } } : {}),
      selftests: d.selftests,
      unpriv: d.unpriv,
      deny: d.deny,
      ...splitOverrides(d.expect_by_kernel),
      normalize: d.normalize,
    }));
}

/** Where each allow and deny entry of a runner: is written, for the errors found once the kernel's tests are known. */
function entryPositions(r: { allow: string[]; deny: Record<string, string> }, locate: Locate): RunnerSpec['at'] {
  return {
    allow: r.allow.map((_, i) => locate(['runner', 'allow', i])),
    deny: Object.fromEntries(Object.keys(r.deny).map((k) => [k, locate(['runner', 'deny', k], { key: true })])),
  };
}

/** expect_by_kernel keys with a "/" are selftest programs; the rest are steps. */
function splitOverrides(byKernel: Record<string, Record<string, Expect>>): Pick<Scenario, 'expect_by_kernel' | 'program_overrides'> {
  const steps: Scenario['expect_by_kernel'] = {};
  const programs: Scenario['program_overrides'] = {};
  for (const [kernel, overrides] of Object.entries(byKernel)) {
    steps[kernel] = {};
    for (const [key, expect] of Object.entries(overrides)) {
      if (key.includes('/') && typeof expect.skip === 'string') (programs[kernel] ??= {})[key] = { skip: expect.skip };
      else steps[kernel][key] = expect;
    }
  }
  return { expect_by_kernel: steps, program_overrides: programs };
}

type StepInput = z.output<typeof stepSchema>;

function toStep(s: StepInput, i: number, locate: Locate): Step {
  const base = { id: s.id ?? `step-${i + 1}`, as: s.as ?? 'root', expect: s.expect ?? {}, ...locate(['steps', i]) };
  if (s.load !== undefined)
    return { ...base, kind: 'load', load: s.load, via: s.via ?? 'prog', ...(s.log_file !== undefined ? { log_file: s.log_file } : {}) };
  if (s.run !== undefined) return { ...base, kind: 'run', run: s.run, ...(s.timeout !== undefined ? { timeout_ms: s.timeout } : {}) };
  if (s.dmesg !== undefined) return { ...base, kind: 'dmesg', within_ms: s.dmesg.within };
  throw new Error('unreachable: step without a kind passed validation');
}
