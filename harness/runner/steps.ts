// The step kinds: load (bpftool prog loadall over SSH) and run (a shell command).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseLoadallOutput } from '../bpftool/loadall-output.js';
import { checkDmesg, checkLoad, checkRun, parseStats, programStats, verificationUs } from '../expect/check.js';
import { tail } from '../expect/excerpt.js';
import { normalizeLog } from '../expect/normalize.js';
import type { Failure, StepProgram, StepResult } from '../results/model.js';
import type { DmesgStep, Expect, LoadStep, ProgramSource, RunStep } from '../scenario/types.js';
import { shellQuote, type ExecResult } from '../../vm/transport/ssh.js';
import { STEP_OUTPUT_LIMIT } from '../../vm/transport/capped-output.js';
import { cleanupCommand, dmesgMarker, type ScenarioContext } from './context.js';
import { goldenPath, judgeGolden } from './golden.js';
import { GUEST_USER, isRoot, privilegePrefix } from './privilege.js';
import { stripTimestamp } from '../../vm/crash/scan.js';

const LOAD_TIMEOUT_MS = 120000;
const RUN_TIMEOUT_MS = 60000;

/** The result's note of dropped output, if any. */
const dropped = (r: ExecResult): Pick<StepResult, 'outputDropped'> => (r.dropped ? { outputDropped: r.dropped } : {});

/** The artifact's line saying what was dropped, if anything. */
function droppedLine(r: ExecResult): string {
  if (!r.dropped) return '';
  return `[output past ${STEP_OUTPUT_LIMIT} bytes a stream dropped: ${r.dropped.stdout} bytes of stdout, ${r.dropped.stderr} of stderr]\n`;
}

function writeArtifact(ctx: ScenarioContext, name: string, text: string): string {
  writeFileSync(join(ctx.artifactDir, name), text);
  return join(ctx.artifactRel, name);
}

/**
 * Round trips dominate a step's time under TCG (~54 ms a channel), so a step's command
 * also carries the program's bytes on stdin the first time it is used, and the last
 * step's command also removes the scenario's pins and files.
 */
function withCleanup(ctx: ScenarioContext, cmd: string, last: boolean): string {
  return last ? `${cmd}; rc=$?; ${cleanupCommand(ctx)}; exit $rc` : cmd;
}

/** What a step changed on the target besides its result: the program it sent there, and whether its command also ran the cleanup. */
export interface StepDone {
  result: StepResult;
  pushed?: string;
  cleaned: boolean;
}

function objectUpload(ctx: ScenarioContext, prog: string, pushed: ReadonlySet<string>): { path: string; prefix: string; input?: Buffer } {
  const path = `${ctx.guestDir}/${prog}.o`;
  if (pushed.has(prog)) return { path, prefix: '' };
  const host = ctx.objects.get(prog);
  if (!host) throw new Error(`program ${prog} was not built`);
  return { path, prefix: `mkdir -p ${shellQuote(ctx.guestDir)} && cat > ${shellQuote(path)} && `, input: readFileSync(host) };
}

/** veristat's file_name for a program's object: its source's name, .c -> .o. */
const objectName = (src: ProgramSource) => basename(typeof src === 'string' ? src : src.tree).replace(/\.c$/, '.o');

/** bpffs refuses names with dots, and step ids may have them. */
export const pinName = (stepId: string) => stepId.replace(/\./g, '_');

function outcomeOf(failures: Failure[]): 'pass' | 'fail' {
  return failures.length ? 'fail' : 'pass';
}

export async function runLoadStep(ctx: ScenarioContext, step: LoadStep, expect: Expect, pushed: ReadonlySet<string>, last = false): Promise<StepDone> {
  const t0 = Date.now();
  const obj = objectUpload(ctx, step.load, pushed);
  const pins = `${ctx.pinDir}/${pinName(step.id)}`;
  // -d turns on libbpf's debug output and the verifier log (log_level 1+2+4) for every
  // program. struct_ops maps are registered and their links pinned: without the pin the
  // scheduler would be unregistered as soon as bpftool exits.
  const load = step.via === 'struct_ops' ? 'struct_ops register' : 'prog loadall';
  // Another context needs to own the pin dir it pins into.
  const own = isRoot(step.as) ? '' : ` && chown ${GUEST_USER.uid}:${GUEST_USER.gid} ${shellQuote(pins)}`;
  const cmd = `{ ${obj.prefix}mkdir -p ${shellQuote(pins)}${own} && ${privilegePrefix(step.as)}bpftool -d ${load} ${shellQuote(obj.path)} ${shellQuote(pins)}; } 2>&1`;
  const r = await ctx.target.exec(withCleanup(ctx, cmd, last), { timeoutMs: LOAD_TIMEOUT_MS, input: obj.input, maxBytesPerStream: STEP_OUTPUT_LIMIT });
  const parsed = parseLoadallOutput(r.stdout, r.exit);
  const log = normalizeLog(parsed.combinedLog, ctx.scenario.normalize);
  const stats = parseStats(log);
  const file = objectName(ctx.scenario.programs[step.load]!);
  const programs: StepProgram[] = parsed.programs.filter((p) => !p.subprogram).map((p) => {
    const s = programStats(p.log);
    const us = verificationUs(p.log);
    return { file, prog: p.name, mode: isRoot(step.as) ? 'priv' : 'unpriv', loaded: p.loaded, ...(p.errno ? { errno: p.errno } : {}), ...(s ? { stats: s } : {}), ...(us !== undefined ? { durationUs: us } : {}) };
  });
  const artifacts = [
    writeArtifact(ctx, `${step.id}.bpftool.txt`, `$ ${cmd}\n${r.stdout}${droppedLine(r)}[exit ${r.exit}]\n`),
    writeArtifact(ctx, `${step.id}.verifier.log`, log),
  ];
  const failures = checkLoad(expect, { loaded: parsed.loaded, errno: parsed.errno, log, stats });
  // Nothing reached the verifier (libbpf, setpriv or the token helper stopped first):
  // what they printed is the explanation.
  if (!log.trim()) for (const f of failures) f.diff ??= tail(r.stdout, 15);
  if (step.log_file) {
    const f = judgeGolden(goldenPath(ctx.scenario.file, ctx.kernel, step.log_file), log, ctx.update, dirname(ctx.scenario.file));
    if (f) failures.push(f);
  }
  return {
    result: {
      id: step.id, kind: 'load', outcome: outcomeOf(failures), durationMs: Date.now() - t0,
      loaded: parsed.loaded, errno: parsed.errno, log, stats, ...(programs.length ? { programs } : {}), failures, artifacts, ...dropped(r),
    },
    // A command that ran to its end has read the object from stdin (a timeout throws above).
    ...(obj.input ? { pushed: step.load } : {}),
    cleaned: last,
  };
}

export async function runRunStep(ctx: ScenarioContext, step: RunStep, expect: Expect, last = false): Promise<StepDone> {
  const t0 = Date.now();
  // Commands find this scenario's pins (one dir per load step id) and pushed files here,
  // and a directory of their own that the unprivileged contexts may write in (root made
  // it inside a directory only root can write, so it is the one uid 1000 gets).
  const user = shellQuote(ctx.userDir);
  const mkUserDir = `mkdir -p -m 700 ${user} && chown ${GUEST_USER.uid}:${GUEST_USER.gid} ${user} || exit 1; `;
  const env = `${mkUserDir}export BPF_HARNESS_PINS=${shellQuote(ctx.pinDir)} BPF_HARNESS_DIR=${shellQuote(ctx.guestDir)} BPF_HARNESS_USER_DIR=${user} BPF_HARNESS_ATTEMPT=${ctx.attempt ?? 1}; `;
  // The user's command runs in a subshell so that its own `exit` cannot skip the cleanup;
  // in another context, in a shell started by setpriv.
  const command = isRoot(step.as) ? step.run : `${privilegePrefix(step.as)}sh -c ${shellQuote(step.run)}`;
  const cmd = last ? `(${env}${command}
)` : env + command;
  const r = await ctx.target.exec(withCleanup(ctx, cmd, last), { timeoutMs: step.timeout_ms ?? RUN_TIMEOUT_MS, maxBytesPerStream: STEP_OUTPUT_LIMIT });
  const artifacts = [
    writeArtifact(ctx, `${step.id}.run.txt`, `$ ${step.run}\n[stdout]\n${r.stdout}[stderr]\n${r.stderr}${droppedLine(r)}[exit ${r.exit}]\n`),
  ];
  const failures = checkRun(expect, { exit: r.exit, stdout: r.stdout, stderr: r.stderr });
  return {
    result: {
      id: step.id, kind: 'run', outcome: outcomeOf(failures), durationMs: Date.now() - t0,
      exit: r.exit, stdout: r.stdout, stderr: r.stderr, failures, artifacts, ...dropped(r),
    },
    cleaned: last,
  };
}

const DMESG_POLL_MS = 200;

/** Kernel messages since this scenario's marker (see dmesgMarker), polled until the patterns match or `within` ends. */
export async function runDmesgStep(ctx: ScenarioContext, step: DmesgStep, expect: Expect): Promise<StepResult> {
  const t0 = Date.now();
  const marker = dmesgMarker(ctx);
  let log = '';
  let failures: Failure[] = [];
  let r: ExecResult;
  for (;;) {
    r = await ctx.target.exec('dmesg', { timeoutMs: 30000, maxBytesPerStream: STEP_OUTPUT_LIMIT });
    // busybox dmesg prints "[   12.345678] message" when printk times are on.
    const lines = r.stdout.split('\n').map(stripTimestamp);
    const from = lines.lastIndexOf(marker);
    if (from < 0) {
      // Without the marker there is no "since the scenario began": never match older messages.
      failures = [{ expectation: 'within', message: `the scenario's marker "${marker}" is not in the kernel log (ring buffer overwritten?)` }];
      break;
    }
    log = normalizeLog(lines.slice(from + 1).join('\n'), ctx.scenario.normalize);
    failures = checkDmesg(expect, log);
    // Forbidden messages are judged at the end of the window; wanted ones as soon as they appear.
    const waitsForAbsence = !!expect.not_log?.length;
    if ((!failures.length && !waitsForAbsence) || Date.now() - t0 >= step.within_ms) break;
    await new Promise((res) => setTimeout(res, DMESG_POLL_MS));
  }
  const artifacts = [writeArtifact(ctx, `${step.id}.dmesg.log`, log)];
  if (failures.length && failures[0]?.expectation !== 'within') {
    failures.unshift({ expectation: 'within', message: `kernel messages after ${step.within_ms} ms did not meet the expectation` });
  }
  return { id: step.id, kind: 'dmesg', outcome: outcomeOf(failures), durationMs: Date.now() - t0, log, failures, artifacts, ...dropped(r) };
}
