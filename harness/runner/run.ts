// A whole run: plan entries grouped by kernel; per kernel, fetch it, build the guest
// image, boot --jobs guests and hand them scenarios; a guest that lost SSH is replaced.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { readKconfig, unmetKconfig } from './kconfig.js';
import { runScenario } from './scenario.js';
import { BadInputError, InfraError } from '../errors.js';
import type { PlanEntry } from '../plan.js';
import { buildProgram } from '../programs/build.js';
import { treeFile } from '../programs/tree-files.js';
import { btfObject, compileSelftest, selftestFiles, selftestTree, SELFTESTS_DIR, type Compiled } from '../selftests/compile.js';
import { readRunnerOptions } from '../selftests/runner-options.js';
import type { SelftestPlan } from '../selftests/run.js';
import { SELFTEST_LOADER } from '../../vm/image/build.js';
import { selftestTools } from '../../vm/image/selftest-helper.js';
import type { Reporter } from '../reporters/reporter.js';
import type { RunResult, ScenarioResult } from '../results/model.js';
import type { KernelArtifacts } from '../../kernels/artifacts.js';
import { kernelArtifacts } from '../../kernels/resolve.js';
import { guestImage } from '../../vm/image/build.js';
import { chooseAccel, type Accel, type AccelChoice } from '../../vm/qemu/accel.js';
import { bootGuest } from '../../vm/qemu/target.js';
import { hostKernel } from '../ssh-host/kernel.js';
import { SshHostTarget, type SshHostOptions } from '../ssh-host/target.js';
import { loadCrashPolicy } from '../../vm/crash/policy.js';
import { progress } from '../progress.js';
import type { Target } from '../target.js';

export type TargetChoice = { kind: 'qemu' } | { kind: 'ssh'; url: string; host: SshHostOptions };

export interface RunOptions {
  outDir: string;
  /** QEMU guests of each kernel (the default), or one SSH host running its own kernel. */
  target?: TargetChoice;
  jobs: number;
  accel: AccelChoice;
  memoryMiB?: number;
  /** vCPUs per guest (default 2). */
  cpus?: number;
  update: boolean;
  /** --fresh: every scenario on a guest of its own, as if each said fresh: true. */
  freshGuests?: boolean;
  /** A crash policy file instead of vm/crash/policy.yaml. */
  crashPolicy?: string;
  reporter: Reporter;
}

// bpffs refuses names with dots, and pins live under these names.
const slug = (s: string) => s.replace(/\.ya?ml$/, '').replace(/[^A-Za-z0-9_-]+/g, '_');

/** What a kernel's scenarios need built on the host: per scenario file, its programs' objects and its selftests. */
interface Built {
  /** scenario file -> program name -> object built for this kernel */
  objects: Map<string, Map<string, string>>;
  selftests: Map<string, SelftestPlan>;
  /** scenario file -> why it does not apply to this kernel (its selftests match nothing in this tree). */
  skips: Map<string, string>;
}

/**
 * Compile the programs of a kernel's scenarios against that kernel's headers (its tree's
 * libbpf, sched_ext include and vmlinux.h when it was built) before its guest boots;
 * a compile error is bad input. Selftest files compile with the selftests Makefile's
 * flags, each kernel against its own tree.
 */
async function buildFor(entries: PlanEntry[], art: Pick<KernelArtifacts, 'name' | 'tree' | 'includeDirs'>, hostLoader?: string): Promise<Built> {
  const built: Built = { objects: new Map(), selftests: new Map(), skips: new Map() };
  for (const { scenario, programGrep } of entries) {
    if (built.objects.has(scenario.file)) continue;
    const objs = new Map<string, string>();
    for (const [name, src] of Object.entries(scenario.programs)) {
      const file = typeof src === 'string' ? src : await treeFile(art, src.tree, scenario.file);
      objs.set(name, await buildProgram(file, art.includeDirs));
    }
    built.objects.set(scenario.file, objs);
    if (scenario.selftests.length) {
      const tree = await selftestTree(art);
      if (!tree) {
        built.skips.set(scenario.file, `selftests: ${art.name}'s tree has no ${SELFTESTS_DIR}/test_loader.c and progs/bpf_misc.h to follow`);
        continue;
      }
      const files = await selftestFiles(scenario.selftests, tree);
      if (typeof files === 'string') {
        built.skips.set(scenario.file, files);
        continue;
      }
      progress(`compiling ${files.length} selftest file${files.length === 1 ? '' : 's'} of ${relative(process.cwd(), scenario.file)} for ${art.name}`);
      // clang runs a file on one core: as many at once as the host has cores.
      const compiled: Compiled[] = new Array(files.length);
      let next = 0;
      await Promise.all(Array.from({ length: Math.min(cpus().length, files.length) }, async () => {
        for (let i = next++; i < files.length; i = next++) compiled[i] = await compileSelftest(files[i]!, art, tree);
      }));
      built.selftests.set(scenario.file, {
        files: compiled, rules: tree.rules, loader: hostLoader ? { upload: hostLoader } : { path: SELFTEST_LOADER }, runnerOptions: readRunnerOptions(join(tree.root, SELFTESTS_DIR)),
        btfFile: (name) => btfObject(name, art, tree), ...(programGrep ? { programGrep } : {}),
      });
    }
  }
  return built;
}

function errorResult(e: PlanEntry, reason: string, consoleTail?: string): ScenarioResult {
  return { file: e.relFile, name: e.scenario.name, kernel: e.kernel, outcome: 'error', durationMs: 0, steps: [], reason, consoleTail };
}

export async function runPlan(entries: PlanEntry[], opts: RunOptions): Promise<RunResult> {
  const t0 = Date.now();
  const target = opts.target ?? { kind: 'qemu' };
  mkdirSync(opts.outDir, { recursive: true });
  writeFileSync(join(opts.outDir, 'plan.json'), JSON.stringify(entries.map((e) => ({
    file: e.relFile, name: e.scenario.name, kernel: e.kernel, steps: e.scenario.steps.map((s) => s.id),
  })), null, 2));
  const results: ScenarioResult[] = [];
  const finish = (r: ScenarioResult) => {
    results.push(r);
    opts.reporter.scenarioFinished(r);
  };
  let accelUsed: Accel | undefined;

  const done = (): RunResult => ({
    startedAt: new Date(t0).toISOString(), durationMs: Date.now() - t0, target: target.kind === 'ssh' ? target.url : 'qemu',
    accel: accelUsed, scenarios: results, outDir: opts.outDir,
  });
  try {
    for (const kernel of new Set(entries.map((e) => e.kernel))) {
      const mine = entries.filter((e) => e.kernel === kernel);
      let prepared: Prepared | undefined;
      try {
        prepared = target.kind === 'ssh'
          ? await prepareHost(kernel, mine, target.host, finish)
          : await prepareKernel(kernel, mine, opts, finish);
      } catch (e) {
        // Bad input (a patch that does not apply) stops the run with exit 2; anything else
        // breaking this kernel fails its scenarios and the run goes on with the next kernel.
        if (e instanceof BadInputError) throw e;
        const msg = e instanceof InfraError ? e.message : `internal error preparing ${kernel}: ${(e as Error).stack ?? e}`;
        mine.filter((m) => !results.some((r) => r.file === m.relFile && r.kernel === m.kernel)).forEach((m) => finish(errorResult(m, msg)));
        continue;
      }
      if (!prepared) continue;
      accelUsed ??= prepared.accel;
      await runOnGuests(prepared, opts, finish);
    }
  } finally {
    // Whatever happened, the results so far are kept.
    writeFileSync(join(opts.outDir, 'results.json'), JSON.stringify(done(), null, 2));
  }
  return done();
}

interface Prepared extends Built {
  /** The kernel's name in results and expect_by_kernel: the recipe's, or the one given for an SSH host. */
  name: string;
  runnable: PlanEntry[];
  /** A target for worker n: a guest booted for it, or a connection to the host. */
  acquire(n: number, attempt: number): Promise<Target>;
  accel?: Accel;
  /** An SSH host is one machine, and one scheduler class: its scenarios run one at a time. */
  maxJobs?: number;
}

/** Scenarios whose requirements the kernel meets; the rest are reported as skipped. */
function runnableOn(name: string, mine: PlanEntry[], config: Map<string, string> | undefined, finish: (r: ScenarioResult) => void, hostNote?: string, hasTree = false): PlanEntry[] {
  const runnable: PlanEntry[] = [];
  for (const e of mine) {
    const token = e.scenario.steps.some((s) => typeof s.as === 'object' && 'token' in s.as);
    const selftests = e.scenario.selftests.length > 0;
    const unmet = hostNote && token
      ? 'as: {token: ...} needs the token helper of the guest image, which SSH hosts do not have'
      : selftests && !hasTree
      ? `selftests: need the kernel's source tree (its bpf_misc.h and the loader built from its libbpf), and ${name} has none`
      : !e.scenario.requires.kconfig.length ? undefined
      : config ? unmetKconfig(e.scenario.requires.kconfig, config)
      : `needs ${e.scenario.requires.kconfig.join(', ')}, and ${hostNote} does not expose its kernel config (/proc/config.gz or /boot/config-RELEASE)`;
    if (unmet) finish({ file: e.relFile, name: e.scenario.name, kernel: name, outcome: 'skip', durationMs: 0, steps: [], reason: unmet });
    else runnable.push(e);
  }
  return runnable;
}

/** Scenarios the build found not to apply are reported as skipped; the rest go on. */
function withoutSkips(name: string, runnable: PlanEntry[], built: Built, finish: (r: ScenarioResult) => void): PlanEntry[] {
  return runnable.filter((e) => {
    const why = built.skips.get(e.scenario.file);
    if (why) finish({ file: e.relFile, name: e.scenario.name, kernel: name, outcome: 'skip', durationMs: 0, steps: [], reason: why });
    return !why;
  });
}

/** The kernel, its skips (unmet requires), and for the rest the guest image and accelerator; undefined if all skip. */
async function prepareKernel(kernel: string, mine: PlanEntry[], opts: RunOptions, finish: (r: ScenarioResult) => void): Promise<Prepared | undefined> {
  const art = await kernelArtifacts(kernel);
  let runnable = runnableOn(art.name, mine, readKconfig(art.config), finish, undefined, !!art.tree);
  if (!runnable.length) return undefined;
  const built = await buildFor(runnable, art);
  runnable = withoutSkips(art.name, runnable, built, finish);
  if (!runnable.length) return undefined;
  const image = await guestImage(art);
  const accel = await chooseAccel(opts.accel, art.bzImage);
  const acquire = (n: number, attempt: number) => bootGuest(art, image, {
    accel, memoryMiB: opts.memoryMiB, cpus: opts.cpus, logDir: join(opts.outDir, slug(art.name), `guest-${n}${attempt > 1 ? `-${attempt}` : ''}`),
  });
  return { name: art.name, runnable, ...built, acquire, accel };
}

/** The host's running kernel: connect once to read its config and BTF; that connection serves the first scenarios. */
async function prepareHost(name: string, mine: PlanEntry[], host: SshHostOptions, finish: (r: ScenarioResult) => void): Promise<Prepared | undefined> {
  let first: Target | undefined = await SshHostTarget.connect(host);
  try {
    const kernel = await hostKernel(first, name);
    const runnable = runnableOn(name, mine, kernel.config ? readKconfig(kernel.config) : undefined, finish, first.describe, !!kernel.tree);
    if (!runnable.length) {
      await first.close();
      return undefined;
    }
    // The loader is not on a host: it is built from the host kernel's tree and sent along.
    const built = await buildFor(runnable, kernel, kernel.tree && runnable.some((e) => e.scenario.selftests.length) ? (await selftestTools(kernel.tree)).loader : undefined);
    const acquire = async () => {
      const t = first ?? (await SshHostTarget.connect(host));
      first = undefined;
      return t;
    };
    return { name, runnable, ...built, acquire, maxJobs: 1 };
  } catch (e) {
    await first?.close();
    throw e;
  }
}

/**
 * --jobs guests share the kernel's scenarios, each running one after another with a
 * reset between. A guest is replaced after a crash, a lost connection, or a scenario
 * that left it changed; a `fresh: true` scenario gets a guest of its own.
 */
async function runOnGuests(prepared: Prepared, opts: RunOptions, finish: (r: ScenarioResult) => void): Promise<void> {
  const { name, runnable, objects, selftests } = prepared;
  const crashPolicy = loadCrashPolicy(opts.crashPolicy);
  const queue = [...runnable];
  let live = 0;
  let booting = 0;
  const worker = async (n: number) => {
    let guest: Target | undefined;
    let used = 0;
    let boots = 0;
    let failedBoots = 0;
    const retire = async (why?: string) => {
      if (!guest) return;
      if (why) progress(`guest ${n}: replacing it (${why})`);
      const g = guest;
      guest = undefined;
      live--;
      await g.close();
    };
    try {
      while (queue.length) {
        const entry = queue.shift()!;
        const fresh = entry.scenario.fresh || !!opts.freshGuests;
        if (fresh && used > 0) await retire();
        if (!guest) {
          try {
            boots++;
            booting++;
            guest = await prepared.acquire(n, boots);
            used = 0;
            live++;
          } catch (e) {
            if (!(e instanceof InfraError)) throw e;
            queue.unshift(entry);
            // One more boot before giving up: under TCG on a loaded host a good kernel
            // has been seen to panic in early boot once in a while.
            if (++failedBoots === 1) {
              progress(`guest ${n}: ${e.message.split('\n')[0]}; booting once more`);
              continue;
            }
            // Another worker still booting may yet succeed and take the queue.
            for (let i = 0; i < 600 && live === 0 && booting > 1; i++) await new Promise((r) => setTimeout(r, 100));
            // Other guests still running take the rest of the queue; if none is left, a
            // kernel that cannot boot fails everything planned on it, with the console tail.
            if (live === 0) queue.splice(0).forEach((q) => finish(errorResult(q, e.message, e.consoleTail)));
            return;
          } finally {
            booting--;
          }
        }
        opts.reporter.scenarioStarted?.({ file: entry.relFile, name: entry.scenario.name, kernel: name });
        const artifactRel = join(slug(name), slug(entry.relFile));
        used++;
        // The recipe's name, not the --kernel argument (which may be a path), keys expect_by_kernel.
        const { result, replace } = await runScenario({
          target: guest, scenario: entry.scenario, kernel: name,
          objects: objects.get(entry.scenario.file)!,
          selftests: selftests.get(entry.scenario.file),
          slug: slug(entry.relFile),
          artifactDir: join(opts.outDir, artifactRel), artifactRel, update: opts.update, crashPolicy,
        }, entry.relFile);
        finish(result);
        if (replace) await retire(replace);
        else if (fresh) await retire();
      }
    } finally {
      await retire();
    }
  };
  const jobs = Math.min(opts.jobs, prepared.maxJobs ?? opts.jobs, runnable.length);
  // Every worker ends (closing its guest) before an unexpected error goes on up.
  const ends = await Promise.allSettled(Array.from({ length: Math.max(1, jobs) }, (_, i) => worker(i + 1)));
  const failed = ends.find((e): e is PromiseRejectedResult => e.status === 'rejected');
  if (failed) throw failed.reason;
}
