// A whole run: the plan's entries grouped by kernel; per kernel, a pool of targets from
// the backend --target names (prepare.ts decides what applies and builds it, workers.ts
// hands the scenarios to targets), and results.json written whatever happens. The
// whole flow, stage by stage: docs/architecture.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCrashPolicy } from '../../vm/crash/policy.js';
import { BadInputError, InfraError } from '../../common/errors.js';
import { interruptedBy } from '../../common/interrupt.js';
import type { PlanEntry } from '../plan.js';
import type { PlannedKernel } from '../../kernels/resolve.js';
import type { Reporter, ScenarioRef } from '../results/reporter.js';
import { emit } from '../../common/progress.js';
import type { RunKernel, RunResult, ScenarioResult } from '../results/model.js';
import type { ConfiguredTarget, TargetPool } from '../../vm/registry.js';
import { prepare } from './prepare.js';
import { unrunResult } from './unrun.js';
import { errorResult, runOnTargets, type WorkerOptions } from './workers.js';

export interface RunOptions {
  outDir: string;
  /** Where scenarios run: the backend --target named, configured (backendFor). */
  target: ConfiguredTarget;
  /** Where a kernel's scenarios run instead, by the kernel's planned name (compare between two hosts). */
  kernelTargets?: Record<string, ConfiguredTarget>;
  jobs: number;
  update: boolean;
  /** --fresh: every scenario on a guest of its own, as if each said fresh: true. */
  freshGuests?: boolean;
  /** --retries: see WorkerOptions.retries. */
  retries?: number;
  /** A crash policy file instead of vm/crash/policy.yaml. */
  crashPolicy?: string;
  reporter: Reporter;
  /** How many kernels run at once, each on its own pool of --jobs targets (default 1). */
  kernelJobs?: number;
  /** --keep-failed: see WorkerOptions.keep. */
  keep?: WorkerOptions['keep'];
}

export async function runPlan(entries: PlanEntry[], opts: RunOptions): Promise<RunResult> {
  const t0 = Date.now();
  const crashPolicy = loadCrashPolicy(opts.crashPolicy);
  mkdirSync(opts.outDir, { recursive: true });
  writeFileSync(join(opts.outDir, 'plan.json'), JSON.stringify(entries.map((e) => ({
    file: e.relFile, name: e.scenario.name, kernel: e.kernel.name, steps: e.scenario.steps.map((s) => s.id),
  })), null, 2));
  const results: ScenarioResult[] = [];
  emit({ type: 'run', phase: 'start', scenarios: entries.length });
  const finish = (r: ScenarioResult) => {
    results.push(r);
    emit({ type: 'scenario', phase: 'end', file: r.file, kernel: r.kernel, outcome: r.outcome });
    opts.reporter.scenarioFinished(r);
  };
  const started = (s: ScenarioRef) => {
    emit({ type: 'scenario', phase: 'start', file: s.file, kernel: s.kernel });
    opts.reporter.scenarioStarted?.(s);
  };
  const planIndex = (r: ScenarioResult) => entries.findIndex((e) => e.relFile === r.file && e.kernel.name === r.kernel);
  /** Planned entries no result speaks for yet. */
  const unfinished = (list: PlanEntry[]) => list.filter((e) => !results.some((r) => r.file === e.relFile && r.kernel === e.kernel.name));
  let label: string | undefined;
  let accel: string | undefined;
  // One pool per kernel, however many arguments named it (a recipe by name and by file).
  const kernels = [...new Map(entries.map((e) => [e.kernel.name, e.kernel])).values()];
  const opened = new Map<string, { release?: string; origin?: string }>();
  const runKernels = (): RunKernel[] => kernels.map((k) => ({
    name: k.name, arch: k.arch, ...(k.source ? { source: k.source } : {}), ...opened.get(k.name),
  }));
  const done = (): RunResult => ({
    startedAt: new Date(t0).toISOString(), durationMs: Date.now() - t0, target: label ?? opts.target.backend.name,
    accel, kernels: runKernels(), scenarios: results, outDir: opts.outDir, ...(interruptedBy() ? { interrupted: interruptedBy() } : {}),
  });
  const runKernel = async (kernel: PlannedKernel) => {
    const mine = entries.filter((e) => e.kernel.name === kernel.name);
    let pool: TargetPool | undefined;
    try {
      const target = opts.kernelTargets?.[kernel.name] ?? opts.target;
      pool = await target.backend.open(target.config, kernel.ref, { outDir: opts.outDir, policy: crashPolicy });
      label = pool.label;
      const { release, origin } = pool.kernel;
      opened.set(kernel.name, { ...(release ? { release } : {}), ...(origin ? { origin } : {}) });
      const prepared = await prepare(pool, mine, finish);
      if (prepared.runnable.length) {
        await runOnTargets(pool, prepared, { ...opts, crashPolicy, started }, finish);
      }
    } catch (e) {
      // Bad input (a patch that does not apply) stops the run with exit 2.
      if (e instanceof BadInputError) throw e;
      // A build or download stopped by the interrupt is not the kernel's failure.
      if (interruptedBy()) return;
      // Anything else breaking this kernel fails its scenarios, and the run goes on with the other kernels.
      const msg = e instanceof InfraError ? e.message : `internal error on ${kernel.name}: ${(e as Error).stack ?? e}`;
      unfinished(mine).forEach((m) => finish(errorResult(m, m.kernel.name, msg)));
    } finally {
      accel ??= pool?.accel;
      await pool?.close();
    }
  };
  let badInput: BadInputError | undefined;
  try {
    // --kernel-jobs kernels at a time, each with its own pool; once one meets bad input no other starts.
    let next = 0;
    const lanes = Array.from({ length: Math.min(opts.kernelJobs ?? 1, kernels.length) }, async () => {
      while (next < kernels.length && !interruptedBy() && !badInput) {
        await runKernel(kernels[next++]!).catch((e: unknown) => {
          if (!(e instanceof BadInputError)) throw e;
          badInput ??= e;
        });
      }
    });
    const ends = await Promise.allSettled(lanes);
    if (badInput) throw badInput;
    const failed = ends.find((e): e is PromiseRejectedResult => e.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    // Interrupted: what did not finish is listed as not run, so results.json accounts for the whole plan.
    const sig = interruptedBy();
    if (sig) {
      for (const e of unfinished(entries)) finish(unrunResult(e, e.kernel.name, { outcome: 'skip', reason: `not run: the run was interrupted (${sig})`, notRun: true }));
    }
    // In the plan's order, however the kernels' runs interleaved.
    results.sort((a, b) => planIndex(a) - planIndex(b));
    emit({ type: 'run', phase: 'end', scenarios: entries.length });
    // Whatever happened, the results so far are kept.
    writeFileSync(join(opts.outDir, 'results.json'), JSON.stringify(done(), null, 2));
  }
  return done();
}
