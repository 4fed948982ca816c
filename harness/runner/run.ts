// A whole run: plan entries grouped by kernel; per kernel, fetch it, build the guest
// image, boot --jobs guests and hand them scenarios; a guest that lost SSH is replaced.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKconfig, unmetKconfig } from './kconfig.js';
import { runScenario } from './scenario.js';
import { BadInputError, InfraError } from '../errors.js';
import type { PlanEntry } from '../plan.js';
import { buildProgram } from '../programs/build.js';
import { treeFile } from '../programs/tree-files.js';
import type { Reporter } from '../reporters/reporter.js';
import type { RunResult, ScenarioResult } from '../results/model.js';
import type { KernelArtifacts } from '../../kernels/artifacts.js';
import { kernelArtifacts } from '../../kernels/resolve.js';
import { guestImage, type GuestImage } from '../../vm/image/build.js';
import { chooseAccel, type Accel } from '../../vm/qemu/accel.js';
import { bootGuest } from '../../vm/qemu/target.js';
import { loadCrashPolicy } from '../../vm/crash/policy.js';
import { progress } from '../progress.js';
import type { Target } from '../target.js';

export interface RunOptions {
  outDir: string;
  jobs: number;
  accel: 'auto' | Accel;
  memoryMiB?: number;
  update: boolean;
  /** A crash policy file instead of vm/crash/policy.yaml. */
  crashPolicy?: string;
  reporter: Reporter;
}

// bpffs refuses names with dots, and pins live under these names.
const slug = (s: string) => s.replace(/\.ya?ml$/, '').replace(/[^A-Za-z0-9_-]+/g, '_');

/**
 * Compile the programs of a kernel's scenarios against that kernel's headers (its tree's
 * libbpf, sched_ext include and vmlinux.h when it was built) before its guest boots;
 * a compile error is bad input.
 */
async function buildFor(entries: PlanEntry[], art: KernelArtifacts): Promise<Map<string, Map<string, string>>> {
  const byFile = new Map<string, Map<string, string>>();
  for (const { scenario } of entries) {
    if (byFile.has(scenario.file)) continue;
    const objs = new Map<string, string>();
    for (const [name, src] of Object.entries(scenario.programs)) {
      const file = typeof src === 'string' ? src : await treeFile(art, src.tree, scenario.file);
      objs.set(name, await buildProgram(file, art.includeDirs));
    }
    byFile.set(scenario.file, objs);
  }
  return byFile;
}

function errorResult(e: PlanEntry, reason: string, consoleTail?: string): ScenarioResult {
  return { file: e.relFile, name: e.scenario.name, kernel: e.kernel, outcome: 'error', durationMs: 0, steps: [], reason, consoleTail };
}

export async function runPlan(entries: PlanEntry[], opts: RunOptions): Promise<RunResult> {
  const t0 = Date.now();
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
    startedAt: new Date(t0).toISOString(), durationMs: Date.now() - t0, target: 'qemu',
    accel: accelUsed, scenarios: results, outDir: opts.outDir,
  });
  try {
    for (const kernel of new Set(entries.map((e) => e.kernel))) {
      const mine = entries.filter((e) => e.kernel === kernel);
      let prepared: Prepared | undefined;
      try {
        prepared = await prepareKernel(kernel, mine, opts, finish);
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

interface Prepared {
  art: KernelArtifacts;
  image: GuestImage;
  accel: Accel;
  runnable: PlanEntry[];
  /** scenario file -> program name -> object built for this kernel */
  objects: Map<string, Map<string, string>>;
}

/** The kernel, its skips (unmet requires), and for the rest the guest image and accelerator; undefined if all skip. */
async function prepareKernel(kernel: string, mine: PlanEntry[], opts: RunOptions, finish: (r: ScenarioResult) => void): Promise<Prepared | undefined> {
  const art = await kernelArtifacts(kernel);
  const config = readKconfig(art.config);
  const runnable: PlanEntry[] = [];
  for (const e of mine) {
    const unmet = unmetKconfig(e.scenario.requires.kconfig, config);
    if (unmet) finish({ file: e.relFile, name: e.scenario.name, kernel: art.name, outcome: 'skip', durationMs: 0, steps: [], reason: unmet });
    else runnable.push(e);
  }
  if (!runnable.length) return undefined;
  const objects = await buildFor(runnable, art);
  return { art, image: await guestImage(art), accel: await chooseAccel(opts.accel, art.bzImage), runnable, objects };
}

/**
 * --jobs guests share the kernel's scenarios, each running one after another with a
 * reset between. A guest is replaced after a crash, a lost connection, or a scenario
 * that left it changed; a `fresh: true` scenario gets a guest of its own.
 */
async function runOnGuests(prepared: Prepared, opts: RunOptions, finish: (r: ScenarioResult) => void): Promise<void> {
  const { art, image, accel, runnable, objects } = prepared;
  const crashPolicy = loadCrashPolicy(opts.crashPolicy);
  const queue = [...runnable];
  let live = 0;
  const worker = async (n: number) => {
    let guest: Target | undefined;
    let used = 0;
    let boots = 0;
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
        if (entry.scenario.fresh && used > 0) await retire();
        if (!guest) {
          try {
            boots++;
            guest = await bootGuest(art, image, {
              accel, memoryMiB: opts.memoryMiB, logDir: join(opts.outDir, slug(art.name), `guest-${n}${boots > 1 ? `-${boots}` : ''}`),
            });
            used = 0;
            live++;
          } catch (e) {
            if (!(e instanceof InfraError)) throw e;
            queue.unshift(entry);
            // Other guests still running take the rest of the queue; if none is left, a
            // kernel that cannot boot fails everything planned on it, with the console tail.
            if (live === 0) queue.splice(0).forEach((q) => finish(errorResult(q, e.message, e.consoleTail)));
            return;
          }
        }
        opts.reporter.scenarioStarted?.({ file: entry.relFile, name: entry.scenario.name, kernel: art.name });
        const artifactRel = join(slug(art.name), slug(entry.relFile));
        used++;
        // The recipe's name, not the --kernel argument (which may be a path), keys expect_by_kernel.
        const { result, replace } = await runScenario({
          target: guest, scenario: entry.scenario, kernel: art.name,
          objects: objects.get(entry.scenario.file)!,
          guestDir: `/tmp/bpf-harness/${slug(entry.relFile)}`,
          pinDir: `/sys/fs/bpf/bpf-harness/${slug(entry.relFile)}`,
          artifactDir: join(opts.outDir, artifactRel), artifactRel, update: opts.update, crashPolicy,
        }, entry.relFile);
        finish(result);
        if (replace) await retire(replace);
        else if (entry.scenario.fresh) await retire();
      }
    } finally {
      await retire();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, runnable.length)) }, (_, i) => worker(i + 1)));
}
