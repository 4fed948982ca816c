// The workers of one kernel: --jobs of them (no more than the pool holds) share its
// scenarios, each on a target of its own, one scenario after another with a reset
// between. A target is replaced after a crash, a lost connection, or a scenario that
// left it changed; fresh: true and network: true scenarios get one of their own, and
// the target for the scenario after one of those is acquired while it runs. A target
// that fails to come up is tried once more; then the scenarios left fail with what went
// wrong, unless another worker's target is still up to take them. A scenario that fails
// is run again on a fresh target (--retries more times, 2 by default): a failure that
// repeats stays a failure, one that does not is a pass marked flaky with its failed tries.
import { join } from 'node:path';
import type { CrashPolicy } from '../../vm/crash/policy.js';
import { BootError, InfraError } from '../../common/errors.js';
import { interruptedBy } from '../../common/interrupt.js';
import { slug } from '../../common/paths.js';
import type { PlanEntry } from '../plan.js';
import { progress } from '../../common/progress.js';
import { headline } from '../results/headline.js';
import type { ScenarioResult, Tries } from '../results/model.js';
import type { Target } from '../../vm/target.js';
import type { AcquireOptions, TargetPool } from '../../vm/registry.js';
import type { Prepared } from './prepare.js';
import { runScenario } from './scenario.js';
import { unrunResult } from './unrun.js';
import { RETRIES_ITS_TESTS } from '../runners/run.js';

export interface WorkerOptions {
  outDir: string;
  jobs: number;
  update: boolean;
  /** --fresh: every scenario on a target of its own. */
  freshGuests?: boolean;
  crashPolicy: CrashPolicy;
  /** How many more times a failed scenario runs, each on a fresh target (--retries; DEFAULT_RETRIES). */
  retries?: number;
  started?(r: Pick<ScenarioResult, 'file' | 'name' | 'kernel'>): void;
  /** --keep-failed: offered the target of a failed scenario, before its cleanup; true when it took it (the worker then lets it be). */
  keep?(target: Target, scenario: { file: string; kernel: string; slug: string }): boolean;
}

export function errorResult(e: PlanEntry, kernel: string, reason: string, consoleTail?: string): ScenarioResult {
  return unrunResult(e, kernel, { outcome: 'error', reason, consoleTail });
}

/** The kernel's fault, not the machine's: a failure of the scenario, named by what the boot showed. */
export function bootFailedResult(e: PlanEntry, kernel: string, err: BootError): ScenarioResult {
  return unrunResult(e, kernel, { outcome: 'fail', reason: `boot failed: ${err.title}`, bootFailed: err.title, consoleTail: err.consoleTail });
}

/** Two more tries: a kernel race that shows one time in three shows on all three about once in 27 runs. */
export const DEFAULT_RETRIES = 2;

/** The result to report once a scenario's tries are over: the passing try's, or the first failure's, with every failed try. */
function settled(last: ScenarioResult, lastDir: string, failed: Tries['failed'], first: ScenarioResult | undefined, runs: number): ScenarioResult {
  if (!failed.length) return last;
  if (last.outcome === 'fail' && first) return { ...first, tries: { runs, failed: [...failed, { try: runs, reason: headline(last), artifactDir: lastDir }] } };
  return { ...last, tries: { runs, failed } };
}

/** Wakes whoever waits on it whenever the workers' state changes (a target came up, or gave up). */
class Changes {
  private waiters: (() => void)[] = [];
  next(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
  notify(): void {
    this.waiters.splice(0).forEach((r) => r());
  }
}

export async function runOnTargets(pool: TargetPool, prepared: Prepared, opts: WorkerOptions, finish: (r: ScenarioResult) => void): Promise<void> {
  const { runnable, objects, selftests, runners } = prepared;
  const name = pool.kernel.name;
  const queue = [...runnable];
  let live = 0;
  let booting = 0;
  const changes = new Changes();

  const retries = opts.retries ?? DEFAULT_RETRIES;
  /** Scenarios that failed and run again: the tries so far. */
  const tries = new Map<PlanEntry, { runs: number; failed: Tries['failed']; first: ScenarioResult }>();
  /** network: true also gets a target of its own (the others must stay unable to reach out), and so does a try after a failure. */
  const ownTarget = (e: PlanEntry) => !!(e.scenario.fresh || e.scenario.network || e.scenario.memory_mib || opts.freshGuests || tries.has(e));
  /** What a scenario's target must be made with: its network, and the memory it asks for. */
  const needs = (e: PlanEntry): AcquireOptions => ({ network: e.scenario.network, ...(e.scenario.memory_mib ? { memoryMiB: e.scenario.memory_mib } : {}) });
  const sameNeeds = (a: AcquireOptions, b: AcquireOptions) => a.network === b.network && a.memoryMiB === b.memoryMiB;

  const worker = async (n: number) => {
    let target: Target | undefined;
    let used = 0;
    let boots = 0;
    let failedBoots = 0;
    /** A target coming up for the next scenario while this one runs (its boot overlaps the scenario), and which network it has. */
    let ahead: { needs: AcquireOptions; target: Promise<Target> } | undefined;
    const dropAhead = async () => {
      const a = ahead;
      ahead = undefined;
      await a?.target.then((t) => t.close(), () => undefined);
    };
    const retire = async (why?: string) => {
      if (!target) return;
      if (why) progress(`guest ${n}: replacing it (${why})`);
      const t = target;
      target = undefined;
      live--;
      changes.notify();
      await t.close();
    };
    try {
      while (queue.length && !interruptedBy()) {
        const entry = queue.shift()!;
        const own = ownTarget(entry);
        if (own && used > 0) await retire();
        if (!target) {
          booting++;
          let failure: unknown;
          try {
            // Another worker may have taken the scenario it was acquired for: usable if the network and memory match.
            const a = ahead;
            const fits = !!a && sameNeeds(a.needs, needs(entry));
            if (a && !fits) await dropAhead();
            ahead = undefined;
            target = await (a && fits ? a.target : pool.acquire(n, ++boots, needs(entry)));
            used = 0;
            live++;
          } catch (e) {
            failure = e;
          }
          // Done booting either way: a worker waiting on the others' boots looks again.
          booting--;
          changes.notify();
          if (!target) {
            const e = failure;
            // Interrupted while booting: the guest was stopped under it; runPlan lists what is left.
            if (interruptedBy()) return;
            if (!(e instanceof InfraError) && !(e instanceof BootError)) throw e;
            queue.unshift(entry);
            // One more target before giving up (a host that did not answer, a fake's boot); a
            // backend that boots kernels already tried twice before it said BootError.
            if (++failedBoots === 1 && !(e instanceof BootError && e.tries > 1)) {
              progress(`guest ${n}: ${e.message.split('\n')[0]}; booting once more`);
              continue;
            }
            // Another worker still booting may yet succeed and take the queue.
            while (live === 0 && booting > 0) await changes.next();
            // Other targets still running take the rest of the queue; if none is left, a
            // kernel that cannot boot fails everything planned on it, with the console tail.
            if (live === 0) queue.splice(0).forEach((q) => finish(e instanceof BootError ? bootFailedResult(q, name, e) : errorResult(q, name, e.message, e.consoleTail)));
            return;
          }
        }
        // The next scenario will need a new target: start it now, where the pool has room for one more.
        const next = queue[0];
        if (next && !ahead && (own || ownTarget(next)) && pool.capacity > jobs) {
          const booted = pool.acquire(n, ++boots, needs(next));
          booted.catch(() => undefined);
          ahead = { needs: needs(next), target: booted };
        }
        const before = tries.get(entry);
        const attempt = (before?.runs ?? 0) + 1;
        if (attempt === 1) opts.started?.({ file: entry.relFile, name: entry.scenario.name, kernel: name });
        const artifactRel = join(slug(name), slug(entry.relFile) + (attempt > 1 ? `-try-${attempt}` : ''));
        used++;
        // The recipe's name, not the --kernel argument (which may be a path), keys expect_by_kernel.
        const t = target;
        const { result, replace, kept } = await runScenario({
          target, scenario: entry.scenario, kernel: name,
          objects: objects.get(entry.scenario.file)!,
          selftests: selftests.get(entry.scenario.file),
          runner: runners.get(entry.scenario.file),
          slug: slug(entry.relFile), attempt,
          artifactDir: join(opts.outDir, artifactRel), artifactRel, update: opts.update, crashPolicy: opts.crashPolicy,
          replaceTarget: async (why) => {
            await retire(why);
            target = await pool.acquire(n, ++boots, needs(entry));
            live++;
            used = 1;
            changes.notify();
            return target;
          },
          ...(opts.keep && t.loginInfo ? { keepIfFailed: () => opts.keep!(target ?? t, { file: entry.relFile, kernel: name, slug: slug(entry.relFile) }) } : {}),
        }, entry.relFile);
        // A scenario cut short by the interrupt did not finish: runPlan lists it as not run.
        if (interruptedBy()) return;
        // A runner that runs its failed tests again itself is not run again whole.
        const retriesItself = entry.scenario.runner && RETRIES_ITS_TESTS(entry.scenario.runner.name);
        if (result.outcome === 'fail' && attempt <= retries && !kept && !retriesItself) {
          const reason = headline(result);
          tries.set(entry, { runs: attempt, failed: [...(before?.failed ?? []), { try: attempt, reason, artifactDir: artifactRel }], first: before?.first ?? result });
          progress(`${entry.relFile} [${name}] failed (${reason}); running it again on a fresh guest (try ${attempt + 1} of up to ${retries + 1})`);
          queue.unshift(entry);
        } else {
          finish(settled(result, artifactRel, before?.failed ?? [], before?.first, attempt));
        }
        // A failed scenario's guest, as the scenario left it, handed over to be kept up for a person (--keep-failed).
        if (kept) {
          target = undefined;
          live--;
          changes.notify();
          continue;
        }
        if (replace) await retire(replace);
        else if (own) await retire();
      }
    } finally {
      await retire();
      await dropAhead();
    }
  };
  const jobs = Math.max(1, Math.min(opts.jobs, pool.capacity, runnable.length));
  // Every worker ends (closing its target) before an unexpected error goes on up.
  const ends = await Promise.allSettled(Array.from({ length: jobs }, (_, i) => worker(i + 1)));
  const failed = ends.find((e): e is PromiseRejectedResult => e.status === 'rejected');
  if (failed) throw failed.reason;
}
