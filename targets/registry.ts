// Where scenarios run: a pool of targets for one kernel, made by a backend. A backend
// registers itself under the --target values it serves (QEMU guests: targets/qemu/pool.ts;
// SSH hosts: targets/ssh-host/pool.ts; the runner's tests add a fake one), so the runner
// never asks which kind it has: it asks the pool what the kernel is, what it supports,
// how many targets it can hold, and for targets (docs/architecture.md, step 2).
import { BadInputError } from '../common/errors.js';
import type { CrashPolicy } from './crash/policy.js';
import type { Target } from './target.js';

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

/** Options every backend receives; each reads what it needs. */
export interface PoolOptions {
  outDir: string;
  accel: string;
  memoryMiB?: number;
  cpus?: number;
  append?: string;
  /** More QEMU arguments (--qemu-arg). */
  qemuArgs?: string[];
  /** Boot guests cold instead of from snapshots (--cold-boot). */
  coldBoot?: boolean;
  /** The run's crash policy (--crash-policy or the shipped one): it also names a boot failure. */
  policy?: CrashPolicy;
}

export interface TargetBackend<C = unknown> {
  /** e.g. "qemu", "ssh". */
  readonly name: string;
  /** What it runs on, in messages: "QEMU guests", "--target ssh://user@host". */
  readonly describe: string;
  /** Whether this backend serves `--target VALUE`. */
  claims(target: string): boolean;
  /** Flags that only this backend takes (the others refuse them). */
  readonly ownFlags: readonly string[];
  /** Checks --target and the flags before anything runs; BadInputError on misuse. */
  configure(target: string, flags: Record<string, unknown>): C;
  /** The kernels a plan runs on: QEMU boots each --kernel; a host runs its own, named by at most one. */
  planKernels(config: C, kernels: string[]): string[];
  /** Whether the kernel names must be recipes (QEMU) or only name what runs (a host). */
  readonly kernelsAreRecipes: boolean;
  /** A pool for one kernel of the plan. */
  open(config: C, kernel: string, opts: PoolOptions): Promise<TargetPool>;
}

const backends: TargetBackend[] = [];

export function registerBackend<C>(b: TargetBackend<C>): void {
  if (!backends.some((x) => x.name === b.name)) backends.push(b as TargetBackend);
}

/** The backend serving --target VALUE, and the flags the others own refused when given. */
export function backendFor(target: string, flags: Record<string, unknown>): { backend: TargetBackend; config: unknown } {
  const backend = backends.find((b) => b.claims(target));
  if (!backend) {
    throw new BadInputError(`--target ${target}: expected one of: ${backends.map((b) => b.describe).join(', ')}`, { hint: 'e.g. --target qemu (the default) or --target ssh://user@host[:port]' });
  }
  for (const other of backends.filter((b) => b !== backend)) {
    for (const flag of other.ownFlags) {
      const v = flags[flagKey(flag)];
      if (v !== undefined && v !== false && !(Array.isArray(v) && !v.length)) {
        throw new BadInputError(`${flag} applies to ${other.describe} only`, { hint: `drop ${flag}, or change --target` });
      }
    }
  }
  return { backend, config: backend.configure(target, flags) };
}

/** --accept-new-host-key -> acceptNewHostKey, as commander names it. */
const flagKey = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
