// The step kinds: load (bpftool prog loadall over SSH) and run (a shell command).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseLoadallOutput } from '../bpftool/loadall-output.js';
import { checkGolden, checkLoad, checkRun, parseStats } from '../expect/check.js';
import { normalizeLog } from '../expect/normalize.js';
import type { Failure, StepResult } from '../results/model.js';
import type { Expect, LoadStep, RunStep } from '../scenario/types.js';
import { shellQuote } from '../transport/ssh.js';
import type { ScenarioContext } from './context.js';

const LOAD_TIMEOUT_MS = 120000;
const RUN_TIMEOUT_MS = 60000;

function writeArtifact(ctx: ScenarioContext, name: string, text: string): string {
  writeFileSync(join(ctx.artifactDir, name), text);
  return join(ctx.artifactRel, name);
}

async function pushedObject(ctx: ScenarioContext, prog: string): Promise<string> {
  const guestPath = `${ctx.guestDir}/${prog}.o`;
  const host = ctx.objects.get(prog);
  if (!host) throw new Error(`program ${prog} was not built`);
  await ctx.target.push(readFileSync(host), guestPath);
  return guestPath;
}

function outcomeOf(failures: Failure[]): 'pass' | 'fail' {
  return failures.length ? 'fail' : 'pass';
}

export async function runLoadStep(ctx: ScenarioContext, step: LoadStep, expect: Expect): Promise<StepResult> {
  const t0 = Date.now();
  const obj = await pushedObject(ctx, step.load);
  const pins = `${ctx.pinDir}/${step.id}`;
  // -d turns on libbpf's debug output and the verifier log (log_level 1+2+4) for every program.
  const cmd = `{ mkdir -p ${shellQuote(pins)} && bpftool -d prog loadall ${shellQuote(obj)} ${shellQuote(pins)}; } 2>&1`;
  const r = await ctx.target.exec(cmd, { timeoutMs: LOAD_TIMEOUT_MS });
  const parsed = parseLoadallOutput(r.stdout, r.exit);
  const log = normalizeLog(parsed.combinedLog, ctx.scenario.normalize);
  const stats = parseStats(log);
  const artifacts = [
    writeArtifact(ctx, `${step.id}.bpftool.txt`, `$ ${cmd}\n${r.stdout}[exit ${r.exit}]\n`),
    writeArtifact(ctx, `${step.id}.verifier.log`, log),
  ];
  const failures = checkLoad(expect, { loaded: parsed.loaded, errno: parsed.errno, log, stats });
  if (step.log_file) {
    const golden = resolve(dirname(ctx.scenario.file), step.log_file);
    if (ctx.update) writeFileSync(golden, log);
    else if (!existsSync(golden)) {
      failures.push({ expectation: 'log_file', message: `golden file ${step.log_file} does not exist; run with --update to write it` });
    } else {
      const f = checkGolden(readFileSync(golden, 'utf8'), log);
      if (f) failures.push(f);
    }
  }
  return {
    id: step.id, kind: 'load', outcome: outcomeOf(failures), durationMs: Date.now() - t0,
    loaded: parsed.loaded, errno: parsed.errno, log, stats, failures, artifacts,
  };
}

export async function runRunStep(ctx: ScenarioContext, step: RunStep, expect: Expect): Promise<StepResult> {
  const t0 = Date.now();
  // Commands find this scenario's pins (one dir per load step id) and pushed files here.
  const env = `export BPF_HARNESS_PINS=${shellQuote(ctx.pinDir)} BPF_HARNESS_DIR=${shellQuote(ctx.guestDir)}; `;
  const r = await ctx.target.exec(env + step.run, { timeoutMs: step.timeout_ms ?? RUN_TIMEOUT_MS });
  const artifacts = [
    writeArtifact(ctx, `${step.id}.run.txt`, `$ ${step.run}\n[stdout]\n${r.stdout}[stderr]\n${r.stderr}[exit ${r.exit}]\n`),
  ];
  const failures = checkRun(expect, { exit: r.exit, stdout: r.stdout, stderr: r.stderr });
  return {
    id: step.id, kind: 'run', outcome: outcomeOf(failures), durationMs: Date.now() - t0,
    exit: r.exit, stdout: r.stdout, stderr: r.stderr, failures, artifacts,
  };
}
