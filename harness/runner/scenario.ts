// One scenario on one ready target: steps in order, then its pins and files removed.
import { mkdirSync } from 'node:fs';
import { InfraError } from '../errors.js';
import type { ScenarioResult, StepResult } from '../results/model.js';
import { shellQuote, SshLostError, SshTimeoutError } from '../transport/ssh.js';
import { cleanupCommand, dmesgMarker, usesStructOps, type ScenarioContext } from './context.js';
import { effectiveExpect } from './expect.js';
import { runDmesgStep, runLoadStep, runRunStep } from './steps.js';

export async function runScenario(ctx: ScenarioContext, relFile: string): Promise<ScenarioResult> {
  const t0 = Date.now();
  const { scenario, kernel, target } = ctx;
  mkdirSync(ctx.artifactDir, { recursive: true });
  const steps: StepResult[] = [];
  const result = (): ScenarioResult => {
    const failed = steps.some((s) => s.outcome === 'fail' || s.outcome === 'error');
    return {
      file: relFile, name: scenario.name, kernel,
      outcome: failed ? 'fail' : 'pass', durationMs: Date.now() - t0, steps,
    };
  };
  try {
    if (scenario.steps.some((s) => s.kind === 'dmesg')) {
      await target.exec(`echo ${shellQuote(dmesgMarker(ctx))} > /dev/kmsg`, { timeoutMs: 30000 });
    }
    for (const [i, step] of scenario.steps.entries()) {
      const last = i === scenario.steps.length - 1;
      const expect = effectiveExpect(scenario, step, kernel);
      if (expect.skip) {
        steps.push({ id: step.id, kind: step.kind, outcome: 'skip', durationMs: 0, failures: [], artifacts: [], skipReason: `expect_by_kernel.${kernel}.${step.id}.skip` });
        continue;
      }
      try {
        if (step.kind === 'load') steps.push(await runLoadStep(ctx, step, expect, last));
        else if (step.kind === 'run') steps.push(await runRunStep(ctx, step, expect, last));
        else steps.push(await runDmesgStep(ctx, step, expect, last));
      } catch (e) {
        if (e instanceof SshTimeoutError) {
          steps.push({ id: step.id, kind: step.kind, outcome: 'fail', durationMs: 0, artifacts: [], failures: [{ expectation: 'timeout', message: e.message }] });
          continue;
        }
        throw e;
      }
    }
    if (!ctx.cleaned) await target.exec(cleanupCommand(ctx), { timeoutMs: 30000 });
    if (usesStructOps(ctx)) {
      // The cleanup waited up to 5 s; a scheduler still attached would fail the next scenario instead.
      const st = (await target.exec('cat /sys/kernel/sched_ext/state 2>/dev/null', { timeoutMs: 30000 })).stdout.trim();
      if (st && st !== 'disabled') {
        steps.push({ id: 'teardown', kind: 'run', outcome: 'fail', durationMs: 0, artifacts: [],
          failures: [{ expectation: 'teardown', message: `sched_ext still "${st}" 5 s after this scenario's links were removed` }] });
      }
    }
    return result();
  } catch (e) {
    const r = result();
    const lost = e instanceof SshLostError || e instanceof InfraError;
    return {
      ...r, outcome: 'error',
      reason: lost ? (e as Error).message : `internal error: ${(e as Error).stack ?? e}`,
      consoleTail: target.consoleTail(40),
    };
  }
}
