// Text shared by the reporters: counts, durations, and the plain-text account of a
// scenario's failures (spec prints it, junit puts it in <failure>, tap has YAML).

import { STEP_OUTPUT_LIMIT } from '../../vm/transport/capped-output.js';
import type { Failure, Outcome, ProgramResult, RunResult, ScenarioResult } from '../results/model.js';
import { SOURCE_NAMES } from '../../vm/crash/scan.js';
import { LABEL, failedTries, headline, programName, triesNote } from '../results/headline.js';
import { isFlaky } from '../results/model.js';

export { LABEL, headline, programName, triesNote };

export interface Counts {
  pass: number;
  fail: number;
  skip: number;
  error: number;
  total: number;
}

export function countOutcomes(results: ScenarioResult[]): Counts {
  const c: Counts = { pass: 0, fail: 0, skip: 0, error: 0, total: results.length };
  for (const r of results) c[r.outcome]++;
  return c;
}

/** A scenario that failed or broke: what the reports list once more at their end. */
export const notPassed = (r: ScenarioResult) => r.outcome === 'fail' || r.outcome === 'error';

export function summaryLine(run: RunResult): string {
  const c = countOutcomes(run.scenarios);
  const notRun = run.scenarios.filter((s) => s.notRun).length;
  const stopped = run.interrupted ? `; interrupted by ${run.interrupted}, ${notRun} not run` : '';
  const flaky = run.scenarios.filter(isFlaky).length;
  const line = `${c.pass} passed, ${c.fail} failed, ${c.skip} skipped, ${c.error} errors${flaky ? `, ${flaky} of the passed flaky` : ''} (${seconds(run.durationMs)})${stopped}`;
  const programs = run.scenarios.flatMap((r) => r.programs ?? []);
  const tests = run.scenarios.flatMap((r) => r.tests ?? []);
  const n = (o: string) => tests.filter((t) => t.outcome === o).length;
  return [
    ...(programs.length ? [`selftest programs: ${programCounts(programs)}`] : []),
    // Tests and subtests each count, as test_progs' own summary counts subtests.
    ...(tests.length ? [`runner tests and subtests: ${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped`] : []),
    line,
  ].join('\n');
}

/** "N passed, N failed, N skipped" over program x mode runs. */
export function programCounts(programs: ProgramResult[]): string {
  const n = (o: ProgramResult['outcome']) => programs.filter((p) => p.outcome === o).length;
  const denied = programs.filter((p) => p.denied).length;
  return `${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped${denied ? ` (${denied} denied)` : ''}`;
}

/** selftests: a line per file with its counts; every failing program in full; skip reasons counted. */
export function formatProgramDetails(programs: ProgramResult[], pad: string, style: Style = PLAIN): string[] {
  const out: string[] = [];
  const files = [...new Set(programs.map((p) => p.file))];
  const width = Math.max(0, ...files.map((f) => f.length));
  for (const file of files) {
    const mine = programs.filter((p) => p.file === file);
    const worst: Outcome = mine.some((p) => p.outcome === 'fail') ? 'fail' : mine.every((p) => p.outcome === 'skip') ? 'skip' : 'pass';
    out.push(`${pad}${style.label(worst, file.padEnd(width))}  ${programCounts(mine)}`);
    for (const p of mine.filter((x) => x.outcome === 'fail')) {
      out.push(`${pad}  ${style.label('fail', 'FAIL')} ${programName(p)}${p.description ? ` (${p.description})` : ''}`);
      for (const f of p.failures) out.push(...formatFailure(f, `${pad}    `, style));
      if (p.artifact) out.push(`${pad}    ${style.dim(`log: ${p.artifact}`)}`);
    }
  }
  const reasons = new Map<string, number>();
  for (const p of programs) if (p.outcome === 'skip') reasons.set(p.reason ?? '', (reasons.get(p.reason ?? '') ?? 0) + 1);
  for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1])) out.push(`${pad}${style.dim(`skipped ${n}: ${reason}`)}`);
  return out;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

/** Styles for spec's TTY output; identity functions when not coloring. */
export interface Style {
  label(o: Outcome, s: string): string;
  dim(s: string): string;
  diffLine(s: string): string;
}

export const PLAIN: Style = { label: (_o, s) => s, dim: (s) => s, diffLine: (s) => s };

function indent(text: string, by: string, style: Style): string[] {
  return text.split('\n').map((l) => by + style.diffLine(l));
}

export function formatFailure(f: Failure, pad: string, style: Style = PLAIN): string[] {
  const out = [`${pad}- ${f.message}`];
  if (f.pattern !== undefined) out.push(`${pad}  pattern: ${f.pattern}`);
  if (f.stoppedAtLine !== undefined) {
    const before = f.matchedBefore?.length
      ? `; matched before it: ${f.matchedBefore.map((m) => `[${m.index}] line ${m.line}`).join(', ')}`
      : '';
    out.push(`${pad}  stopped at line ${f.stoppedAtLine}${before}`);
  }
  if (f.diff) out.push(...indent(f.diff, `${pad}  `, style));
  return out;
}

/** Every failed step of a scenario with its failures; the reason and console tail for errors. */
export function formatScenarioDetails(r: ScenarioResult, pad: string, style: Style = PLAIN): string[] {
  const out: string[] = [];
  // A flaky pass shows why its other tries failed; a repeated failure, each try's.
  const note = triesNote(r);
  if (note) out.push(`${pad}${note}:`, ...failedTries(r).map((l) => `${pad}  ${l}`));
  for (const k of r.knownCrashes ?? []) out.push(`${pad}known kernel issue (not failed): ${k.title} (${k.artifact}): ${k.why}`);
  if (r.outcome === 'error' || (r.outcome === 'fail' && r.reason)) {
    if (r.reason) out.push(`${pad}${r.reason}`);
    if (r.crash) out.push(`${pad}from the ${SOURCE_NAMES[r.crash.source]} (${r.crash.artifact}):`, ...indent(r.crash.excerpt, `${pad}  `, PLAIN));
    if (r.consoleTail) out.push(`${pad}console:`, ...indent(r.consoleTail.replace(/\n$/, ''), `${pad}  `, PLAIN));
  }
  for (const s of r.steps) {
    if (s.failures.length === 0) continue;
    out.push(`${pad}step ${s.id} (${s.kind}):`);
    for (const f of s.failures) out.push(...formatFailure(f, `${pad}  `, style));
    // What was matched is not all the command printed.
    if (s.outputDropped) out.push(`${pad}  output past the ${STEP_OUTPUT_LIMIT / 2 ** 20} MiB a stream that a step keeps was dropped: ${s.outputDropped.stdout} bytes of stdout, ${s.outputDropped.stderr} of stderr`);
  }
  if (r.programs?.length) out.push(...formatProgramDetails(r.programs, pad, style));
  return out;
}

