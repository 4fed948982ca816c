// One scenario on one ready target: steps in order, then its pins, files, processes and
// sysctls put back; the kernel's messages meanwhile are scanned for crashes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findCrash, SOURCE_NAMES, type Crash } from '../../vm/crash/scan.js';
import { InfraError } from '../../common/errors.js';
import { compileLinear } from '../../common/linear-regex.js';
import type { Scenario } from '../scenario/types.js';
import type { ProgramResult, RunnerTest, ScenarioResult, StepResult } from '../results/model.js';
import { runSelftests } from '../selftests/run.js';
import { runRunner } from '../runners/run.js';
import type { Target } from '../../vm/target.js';
import { shellQuote, SshLostError, SshTimeoutError } from '../../vm/transport/ssh.js';
import type { LineLog } from '../../vm/crash/line-log.js';
import type { CrashPolicy } from '../../vm/crash/policy.js';
import { cleanupCommand, dmesgMarker, endMarker, foldsCleanup, mayHoldSchedExt, type ScenarioContext } from './context.js';
import { effectiveExpect } from './expect.js';
import { runDmesgStep, runLoadStep, runRunStep } from './steps.js';

export interface ScenarioOutcome {
  result: ScenarioResult;
  /** Why the target must not run another scenario (crash, lost, left dirty); undefined if it may. */
  replace?: string;
  /** keepIfFailed took the target as the scenario left it, before its cleanup: it is the caller's now. */
  kept?: boolean;
}

const END_MARKER_WAIT_MS = 2000;

type Marks = { console?: number; dmesg: number };

const markLogs = (t: Target): Marks => ({ console: t.kernelLogs.console?.mark(), dmesg: t.kernelLogs.dmesg.mark() });

type Known = NonNullable<Scenario['known_crashes']>[number];

/**
 * The first crash the kernel printed since the marks that the scenario does not declare
 * known on this kernel (the console first, since a dying kernel's last words reach only
 * it), and the known ones met on the way.
 */
function crashSince(t: Target, marks: Marks, policy: CrashPolicy, known: Known[] = []): { crash?: Crash; known: { crash: Crash; why: string }[] } {
  const { console, dmesg } = t.kernelLogs;
  const met: { crash: Crash; why: string }[] = [];
  const scan = (lines: string[], source: Crash['source']): Crash | undefined => {
    for (let rest = lines; ;) {
      const c = findCrash(rest, policy, source);
      const k = c && known.find((x) => compileLinear(x.title).test(c.title));
      if (!c || !k) return c;
      if (!met.some((m) => m.crash.title === c.title)) met.push({ crash: c, why: k.why });
      const at = rest.findIndex((l) => l.includes(c.line));
      if (at < 0) return undefined;
      rest = rest.slice(at + 1);
    }
  };
  const crash = (console && marks.console !== undefined ? scan(console.since(marks.console), 'console') : undefined) ?? scan(dmesg.since(marks.dmesg), 'dmesg');
  return { ...(crash ? { crash } : {}), known: met };
}

/** Waits (briefly) until the kernel log stream has delivered the line the cleanup wrote last. */
async function untilLogged(log: LineLog, mark: number, text: string): Promise<void> {
  for (const t0 = Date.now(); !log.ended && !log.has(mark, text) && Date.now() - t0 < END_MARKER_WAIT_MS;) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A scenario's context before its target is ready: its directories there come from the target. */
export type ScenarioSetup = Omit<ScenarioContext, 'guestDir' | 'userDir' | 'pinDir' | 'resetHelper'> & {
  /** The scenario's name in the target's directories (bpffs refuses dots). */
  slug: string;
  /**
   * --keep-failed: asked once when the scenario failed without a crash or a lost target,
   * before its cleanup; true when the run keeps the target as it is (pins, files,
   * processes), and then nothing is cleaned up.
   */
  keepIfFailed?(): boolean;
};

export async function runScenario(setup: ScenarioSetup, relFile: string): Promise<ScenarioOutcome> {
  const t0 = Date.now();
  const { scenario, kernel, slug, keepIfFailed, replaceTarget: replaceSetup, ...rest } = setup;
  // A runner may move to a fresh target mid-scenario: what follows (cleanup, the crash scan) reads the one it ended on.
  let target = setup.target;
  mkdirSync(setup.artifactDir, { recursive: true });
  const steps: StepResult[] = [];
  const programs: ProgramResult[] = [];
  const tests: RunnerTest[] = [];
  let replace: string | undefined;
  const result = (): ScenarioResult => {
    const failed = steps.some((s) => s.outcome === 'fail' || s.outcome === 'error') || programs.some((p) => p.outcome === 'fail') || tests.some((t) => t.outcome === 'fail');
    if (setup.selftests?.programGrep && !programs.length && !broke) {
      return { file: relFile, name: scenario.name, kernel, outcome: 'skip', durationMs: Date.now() - t0, steps, programs, reason: `no program matches --grep ${setup.selftests.programGrep.source}` };
    }
    if (setup.selftests?.programExclude && !programs.length && !scenario.steps.length && !broke) {
      return { file: relFile, name: scenario.name, kernel, outcome: 'skip', durationMs: Date.now() - t0, steps, programs, reason: `every program is left out by --exclude ${setup.selftests.programExclude.source}` };
    }
    return {
      file: relFile, name: scenario.name, kernel,
      outcome: failed ? 'fail' : 'pass', durationMs: Date.now() - t0, steps,
      ...(setup.selftests ? { programs } : {}),
      ...(setup.runner ? { tests } : {}),
      ...(scenario.network ? { network: true } : {}),
    };
  };
  let marks: Marks | undefined;
  let broke: unknown = undefined;
  let ctx: ScenarioContext | undefined;
  try {
    const dirs = await target.ready();
    ctx = { ...rest, scenario, kernel, target, guestDir: `${dirs.work}/${slug}`, userDir: `${dirs.user}/${slug}`, pinDir: `${dirs.pins}/${slug}`, resetHelper: dirs.resetHelper };
    marks = markLogs(target);
    ctx.logsJudged = () => (marks = markLogs(target));
    if (replaceSetup) {
      const c = ctx;
      c.replaceTarget = async (why) => {
        target = c.target = await replaceSetup(why);
        await target.ready();
        // The runner judged what the old target printed; the scan after it starts on the new one.
        marks = markLogs(target);
        return target;
      };
    }
    const dirty = (why: string) => (replace ??= why);
    // --keep-failed: a failed scenario's cleanup waits until the run has said whether it keeps the guest as it is.
    await runSteps(ctx, steps, programs, tests, dirty, !keepIfFailed);
    if (keepIfFailed) {
      if (result().outcome === 'fail' && replace === undefined) {
        await target.exec(`echo ${shellQuote(endMarker(ctx))} > /dev/kmsg`, { timeoutMs: 30000 });
        await untilLogged(target.kernelLogs.dmesg, marks.dmesg, endMarker(ctx));
        if (!crashSince(target, marks, setup.crashPolicy).crash) {
          if (keepIfFailed()) return { result: result(), kept: true };
          // Scanned up to here: the scan after the cleanup reads what the cleanup made the kernel print.
          marks = markLogs(target);
        }
      }
      if (!ctx.down) await cleanUp(ctx, steps, dirty);
    }
  } catch (e) {
    broke = e;
  }

  // A crash explains whatever else went wrong (SSH lost, a step timing out), so it is looked for first.
  if (broke instanceof SshLostError) await target.settle();
  else if (marks && ctx) await untilLogged(target.kernelLogs.dmesg, marks.dmesg, endMarker(ctx));
  const known = (scenario.known_crashes ?? []).filter((k) => !k.kernels || k.kernels.includes(kernel));
  const found = marks ? crashSince(target, marks, setup.crashPolicy, known) : { known: [] };
  // A known kernel issue is reported with its excerpt, and the guest it tainted replaced.
  const knownCrashes = found.known.map(({ crash: c, why }, i) => {
    const file = `known-crash${i ? `-${i + 1}` : ''}.txt`;
    writeFileSync(join(setup.artifactDir, file), `${c.title}\n(from the ${SOURCE_NAMES[c.source]}; kind ${c.kind}; known: ${why})\n\n${c.excerpt}\n`);
    return { title: c.title, why, artifact: join(setup.artifactRel, file) };
  });
  if (knownCrashes.length) replace ??= `known kernel issue: ${knownCrashes[0]!.title}`;
  const withKnown = (r: ScenarioResult): ScenarioResult => (knownCrashes.length ? { ...r, knownCrashes } : r);
  const crash = found.crash;
  if (crash) {
    writeFileSync(join(setup.artifactDir, 'crash.txt'), `${crash.title}\n(from the ${SOURCE_NAMES[crash.source]}; kind ${crash.kind})\n\n${crash.excerpt}\n`);
    return {
      result: withKnown({ ...result(), outcome: 'fail', crash: { ...crash, artifact: join(setup.artifactRel, 'crash.txt') }, reason: `kernel crash: ${crash.title}` }),
      replace: `kernel crash: ${crash.title}`,
    };
  }
  if (broke === undefined) return { result: withKnown(result()), replace };
  const lost = broke instanceof SshLostError || broke instanceof SshTimeoutError || broke instanceof InfraError;
  return {
    result: withKnown({
      ...result(), outcome: 'error',
      reason: lost ? (broke as Error).message : `internal error: ${(broke as Error).stack ?? broke}`,
      consoleTail: target.consoleTail(40),
    }),
    replace: lost ? (broke as Error).message : 'internal error',
  };
}

/** The steps, then (with cleanUpAfter) the scenario's cleanup, where no step folded it into its own command. */
async function runSteps(ctx: ScenarioContext, steps: StepResult[], programs: ProgramResult[], tests: RunnerTest[], dirty: (why: string) => void, cleanUpAfter: boolean): Promise<void> {
  const { scenario, kernel, target } = ctx;
  const fold = cleanUpAfter && foldsCleanup(ctx);
  if (scenario.steps.some((s) => s.kind === 'dmesg')) {
    await target.exec(`echo ${shellQuote(dmesgMarker(ctx))} > /dev/kmsg`, { timeoutMs: 30000 });
  }
  // --grep chose programs of this scenario, not the scenario: its steps are not run.
  const stepsToRun = ctx.selftests?.programGrep ? [] : scenario.steps;
  const pushed = new Set<string>();
  let cleaned = false;
  for (const [i, step] of stepsToRun.entries()) {
    const foldHere = fold && i === stepsToRun.length - 1;
    const expect = effectiveExpect(scenario, step, kernel);
    if (expect.skip) {
      steps.push({ id: step.id, kind: step.kind, outcome: 'skip', durationMs: 0, failures: [], artifacts: [], skipReason: typeof expect.skip === 'string' ? expect.skip : `expect_by_kernel.${kernel}.${step.id}.skip` });
      continue;
    }
    try {
      if (step.kind === 'dmesg') {
        steps.push(await runDmesgStep(ctx, step, expect));
        continue;
      }
      const done = step.kind === 'load' ? await runLoadStep(ctx, step, expect, pushed, foldHere) : await runRunStep(ctx, step, expect, foldHere);
      steps.push(done.result);
      if (done.pushed) pushed.add(done.pushed);
      cleaned ||= done.cleaned;
    } catch (e) {
      if (!(e instanceof SshTimeoutError)) throw e;
      // The command may still be running in the guest: this guest does not run another scenario.
      dirty(`step ${step.id} timed out`);
      steps.push({ id: step.id, kind: step.kind, outcome: 'fail', durationMs: 0, artifacts: [], failures: [{ expectation: 'timeout', message: e.message }] });
    }
  }
  if (ctx.selftests) {
    programs.push(...await runSelftests({
      target, scenario, kernel, plan: ctx.selftests, artifactDir: ctx.artifactDir, artifactRel: ctx.artifactRel, workDir: ctx.guestDir, mayChangeSysctl: !target.shared,
    }));
  }
  if (ctx.runner) {
    const env = { target, workDir: ctx.guestDir, crashPolicy: ctx.crashPolicy, ...(ctx.replaceTarget ? { replaceTarget: ctx.replaceTarget } : {}) };
    const run = await runRunner(env, ctx.runner.built, ctx.runner.selection, ctx.runner.spec.test_timeout, ctx.runner.configGaps);
    writeFileSync(join(ctx.artifactDir, `${ctx.runner.spec.name}.log`), run.output);
    tests.push(...run.tests);
    ctx.logsJudged?.();
    // A target its last test took down has nothing left to clean up.
    if (run.down) {
      ctx.down = run.down;
      return dirty(run.down);
    }
    // The runner loads and unloads bpf_testmod and leaves sysctls as it found them; what it leaves otherwise is not known.
    dirty(`${ctx.runner.spec.name} ran here`);
  }
  if (!cleanUpAfter) return;
  if (!cleaned) await cleanUp(ctx, steps, dirty);
  else await schedExtDisabled(ctx, steps, dirty);
}

/** The scenario's pins, files, processes and sysctls put back, and sched_ext found idle. */
async function cleanUp(ctx: ScenarioContext, steps: StepResult[], dirty: (why: string) => void): Promise<void> {
  const r = await ctx.target.exec(cleanupCommand(ctx), { timeoutMs: 30000 });
  // What the reset helper killed or restored: evidence that the scenario left it behind.
  if (r.stdout.trim() || r.stderr.trim()) writeFileSync(join(ctx.artifactDir, 'reset.txt'), r.stdout + r.stderr);
  const stuck = r.stderr.split('\n').filter((l) => l.startsWith('cannot restore'));
  if (stuck.length) dirty(`left the guest changed: ${stuck.join('; ')}`);
  await schedExtDisabled(ctx, steps, dirty);
}

async function schedExtDisabled(ctx: ScenarioContext, steps: StepResult[], dirty: (why: string) => void): Promise<void> {
  if (mayHoldSchedExt(ctx)) {
    // The cleanup waited up to 5 s; a scheduler still attached would fail the next scenario instead.
    const st = (await ctx.target.exec('cat /sys/kernel/sched_ext/state 2>/dev/null', { timeoutMs: 30000 })).stdout.trim();
    if (st && st !== 'disabled') {
      dirty(`sched_ext still ${st}`);
      steps.push({ id: 'teardown', kind: 'run', outcome: 'fail', durationMs: 0, artifacts: [],
        failures: [{ expectation: 'teardown', message: `sched_ext still "${st}" 5 s after this scenario's links were removed` }] });
    }
  }
}
