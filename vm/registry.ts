// Where scenarios run: a pool of targets for one kernel, made by a backend. A backend
// registers itself under the --target values it serves (QEMU guests: vm/qemu/pool.ts;
// SSH hosts: vm/ssh-host/pool.ts; the runner's tests add a fake one), so the runner
// never asks which kind it has: it asks the pool what the kernel is, what it supports,
// how many targets it can hold, and for targets (docs/architecture.md, step 2).
import { BadInputError } from '../common/errors.js';
import type { CrashPolicy } from './crash/policy.js';
import type { Target } from './target.js';
import type { Arch } from '../common/arch.js';

/** What the runner needs to know of the kernel a pool runs. */
export interface PoolKernel {
  /** The name results and expect_by_kernel use: the recipe's, or the one given for a host. */
  name: string;
  /** The kernel's .config file, or why there is none (a host that does not expose it). */
  config: { file: string } | { missing: string };
  /** Headers programs are built against (libbpf's, vmlinux.h, sched_ext's). */
  includeDirs: string[];
  /** The source tree it was built from, for {tree:} programs and selftests. */
  tree?: { dir: string; commit: string };
  /** uname -r, where known. */
  release?: string;
  /** Its CPU architecture, where known (absent: DEFAULT_ARCH). */
  arch?: Arch;
  /** A file holding the kernel's BTF (its vmlinux, or raw BTF as /sys/kernel/btf/vmlinux gives it): what the tree's runners are built against. */
  btf?: string;
  /** Where it came from, in words (a recipe's source and patches, a host's address). */
  origin?: string;
}

/** Where the selftest loader is: in the guest image, or (SSH hosts) a host file sent to the target for each scenario. */
export type SelftestLoader = { path: string } | { upload: string };

export interface PoolFeatures {
  /** The guest image's BPF token helper (as: {token: ...}). */
  tokenHelper: boolean;
}

export interface AcquireOptions {
  /** The target may reach the host and beyond (a scenario's network: true). */
  network: boolean;
  /** At least this much memory (a scenario's memory:); a backend that cannot choose (a host) has what it has. */
  memoryMiB?: number;
}

export interface TargetPool {
  readonly kernel: PoolKernel;
  readonly features: PoolFeatures;
  /** Targets that may run at once: the pool never hands out more. */
  readonly capacity: number;
  /** For results.json's `target` (e.g. "qemu", "ssh://ci@host"). */
  readonly label: string;
  /** The accelerator guests run under, once known. */
  readonly accel?: string;
  /** The selftest loader for this kernel: the guest image's, or one built from the kernel's tree and sent along (built once). */
  selftestLoader(): Promise<SelftestLoader>;
  /** A ready target for worker n (attempt counts its boots); throws BootError or InfraError. */
  acquire(n: number, attempt: number, opts: AcquireOptions): Promise<Target>;
  /** Gives back what the pool holds besides the targets it handed out. */
  close(): Promise<void>;
}

/** What every backend's pool receives from the runner; a backend's own settings are in its config. */
export interface PoolOptions {
  outDir: string;
  /** The run's crash policy (--crash-policy or the shipped one): it also names a boot failure. */
  policy?: CrashPolicy;
}

/** The commands that start targets: where a backend's flags are offered. */
export type TargetCommand = 'run' | 'compare' | 'reproduce' | 'bisect' | 'vm up';

/**
 * One of a backend's own flags, as data: the CLI makes it an option of the commands named
 * (checking the value as the command line is read), and backendFor checks it again and
 * fills the defaults for callers without a command line. Its value reaches the backend's
 * configure under the camelCase name (qemu-arg -> qemuArg).
 */
export type BackendFlag = {
  /** The long name: "accel" is --accel. */
  name: string;
  /** A one-letter alias: "m" is -m. */
  short?: string;
  describe: string;
  commands: readonly TargetCommand[];
} & (
  | { kind: 'switch' }
  | { kind: 'choice'; choices: readonly string[]; default: string }
  | { kind: 'int'; value: string; min: number; max: number; default: number }
  /** check: what is wrong with a value, or undefined; repeatable: a list, one value per use. */
  | { kind: 'text'; value: string; check?: (v: string) => string | undefined; repeatable?: boolean }
);

/** --qemu-arg -> qemuArg, as commander names a flag's value. */
export const flagKey = (name: string) => name.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** kebab-case -> camelCase, as a type: the key a flag's value has in a backend's options. */
type Camel<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S;

/** The value a flag gives its backend, as a type: what backendOptions makes of it. */
type FlagValue<F extends BackendFlag> = F extends { kind: 'switch' } ? boolean
  : F extends { kind: 'choice'; choices: readonly (infer C)[] } ? C
    : F extends { kind: 'int' } ? number
      : F extends { kind: 'text'; repeatable: true } ? string[]
        : string | undefined;

/**
 * A backend's options, typed from its flags (declared `as const`): the schema the CLI's
 * flags and backendFor's checks come from is the type configure receives, with no cast.
 */
export type OptionsOf<F extends readonly BackendFlag[]> = { [K in F[number] as Camel<K['name']>]: FlagValue<K> };

/** What is wrong with one value of a flag, or undefined. */
export function flagValueProblem(f: BackendFlag, v: unknown): string | undefined {
  switch (f.kind) {
    case 'switch': return typeof v === 'boolean' ? undefined : 'expected no value';
    case 'choice': return typeof v === 'string' && f.choices.includes(v) ? undefined : `expected one of: ${f.choices.join(', ')}`;
    case 'int': return Number.isSafeInteger(v) && (v as number) >= f.min && (v as number) <= f.max ? undefined : `expected a whole number from ${f.min} to ${f.max}`;
    case 'text': return typeof v === 'string' ? f.check?.(v) : 'expected text';
  }
}

/** A backend's options from the flags given: each checked, the defaults filled in; BadInputError naming the flag. */
export function backendOptions<F extends readonly BackendFlag[]>(flags: F, given: Record<string, unknown>): OptionsOf<F> {
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const key = flagKey(f.name);
    let v = given[key];
    if (v === undefined) {
      if (f.kind === 'choice' || f.kind === 'int') out[key] = f.default;
      else if (f.kind === 'switch') out[key] = false;
      else if (f.repeatable) out[key] = [];
      continue;
    }
    const values = f.kind === 'text' && f.repeatable ? (Array.isArray(v) ? v : [v]) : [v];
    for (const x of values) {
      const problem = flagValueProblem(f, x);
      if (problem) throw new BadInputError(`--${f.name} ${String(x)}: ${problem}`, { hint: `see --help for --${f.name}` });
    }
    if (f.kind === 'text' && f.repeatable) v = values;
    out[key] = v;
  }
  // Each key was checked against its flag above: the record is what OptionsOf<F> says.
  return out as OptionsOf<F>;
}

export interface TargetBackend<C = unknown, F extends readonly BackendFlag[] = readonly BackendFlag[]> {
  /** e.g. "qemu", "ssh". */
  readonly name: string;
  /** What it runs on, in messages: "QEMU guests", "--target ssh://user@host". */
  readonly describe: string;
  /** Whether this backend serves `--target VALUE`. */
  claims(target: string): boolean;
  /** Its own flags (the other backends refuse them). */
  readonly flags: F;
  /** Flags of a command that only this backend can honour (--keep-failed: a guest to log into). */
  readonly alsoOwns?: readonly string[];
  /** Checks --target and the options (backendOptions' output) before anything runs; BadInputError on misuse. */
  configure(target: string, options: OptionsOf<F>): C;
  /** The kernels a plan runs on: QEMU boots each --kernel; a host runs its own, named by at most one. */
  planKernels(config: C, kernels: string[]): string[];
  /** Whether the kernel names must be recipes (QEMU) or only name what runs (a host). */
  readonly kernelsAreRecipes: boolean;
  /** A pool for one kernel of the plan. */
  open(config: C, kernel: string, opts: PoolOptions): Promise<TargetPool>;
  /** What `kernel list` adds to a built kernel's line (QEMU: its snapshots), or ''. */
  kernelNote?(kernel: string): string;
  /** `kernel gc`: what of the backend's own cache goes (QEMU: the snapshots of kernels gone, all of them with --all). */
  gc?(all: boolean): { removed: string[]; bytes: number };
}

/** A backend with its configuration for one --target: what the runner opens pools with. */
export interface ConfiguredTarget {
  backend: TargetBackend;
  config: unknown;
  /** The --target value it was made from. */
  target: string;
}

const backends: TargetBackend[] = [];

export function registerBackend<C, F extends readonly BackendFlag[]>(b: TargetBackend<C, F>): void {
  // Stored without its types: backendFor gives configure what backendOptions made from these same flags.
  if (!backends.some((x) => x.name === b.name)) backends.push(b as unknown as TargetBackend);
}

/** The backends registered so far (those of vm/backends/ once it is imported). */
export const allBackends = (): readonly TargetBackend[] => backends;

/** Every flag a backend owns, as written on the command line. */
const ownedFlags = (b: TargetBackend) => [...b.flags.map((f) => `--${f.name}`), ...(b.alsoOwns ?? [])];

/** Whether a flag's value says it was given (not a default, not an empty list). */
const given = (v: unknown) => v !== undefined && v !== false && !(Array.isArray(v) && !v.length);

/**
 * The backend serving --target VALUE, configured from the flags (commander's camelCase
 * keys; the CLI leaves a backend flag not given undefined, so its default is filled here);
 * a flag another backend owns is refused when given, unless the backend of `alongside`
 * (the other side of a comparison) owns it. The command's other flags are ignored here.
 */
export function backendFor(target: string, flags: Record<string, unknown>, alongside?: string): ConfiguredTarget {
  const backend = backends.find((b) => b.claims(target));
  if (!backend) {
    throw new BadInputError(`--target ${target}: expected one of: ${backends.map((b) => b.describe).join(', ')}`, { hint: 'e.g. --target qemu (the default) or --target ssh://user@host[:port]' });
  }
  const beside = alongside === undefined ? undefined : backends.find((b) => b.claims(alongside));
  for (const other of backends.filter((b) => b !== backend && b !== beside)) {
    for (const flag of ownedFlags(other)) {
      // A flag both own (none today) is this one's.
      if (ownedFlags(backend).includes(flag)) continue;
      if (given(flags[flagKey(flag)])) {
        throw new BadInputError(`${flag} applies to ${other.describe} only`, { hint: `drop ${flag}, or change --target` });
      }
    }
  }
  return { backend, config: backend.configure(target, backendOptions(backend.flags, flags)), target };
}
