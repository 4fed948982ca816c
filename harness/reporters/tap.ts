// TAP version 14: one test point per scenario x kernel, written as each finishes, after
// a subtest holding its steps (and a selftests scenario's files and programs); the plan
// comes last (allowed by TAP 14), failures carry a YAML diagnostic block.

import { stringify } from 'yaml';
import { isFlaky, type Failure, type ProgramResult, type RunResult, type ScenarioResult, type StepResult } from '../results/model.js';
import { failedTries, triesNote } from '../results/headline.js';
import type { Reporter } from './reporter.js';
import { headline, programCounts, summaryLine } from './format.js';

const HEADER = 'TAP version 14\n';

/** '#' starts a directive and '\' escapes: both must be escaped in a description. */
function escapeDescription(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/#/g, '\\#').replace(/\n/g, ' ');
}

function failureDiag(step: string, f: Failure): Record<string, unknown> {
  return {
    step,
    expectation: f.expectation,
    message: f.message,
    ...(f.pattern !== undefined ? { pattern: f.pattern } : {}),
    ...(f.stoppedAtLine !== undefined ? { stopped_at_line: f.stoppedAtLine } : {}),
    ...(f.matchedBefore?.length ? { matched_before: f.matchedBefore } : {}),
    ...(f.diff ? { diff: f.diff } : {}),
  };
}

export function tapDiagnostics(r: ScenarioResult): Record<string, unknown> {
  const failures = r.steps.flatMap((s) => s.failures.map((f) => failureDiag(s.id, f)));
  return {
    message: headline(r),
    file: r.file,
    kernel: r.kernel,
    outcome: r.outcome,
    duration_ms: r.durationMs,
    ...(failures.length ? { failures } : {}),
    ...(r.programs?.length ? { programs: programCounts(r.programs) } : {}),
    ...(r.consoleTail ? { console_tail: r.consoleTail } : {}),
    ...(r.network ? { network: true } : {}),
    ...(r.tries ? { tries: r.tries.runs, failed_tries: failedTries(r) } : {}),
  };
}

/** One program and mode as a test point of its file's subtest. */
function programPoint(n: number, p: ProgramResult): string {
  const desc = `${n} - ${escapeDescription(`${p.prog}${p.mode === 'unpriv' ? ' @unpriv' : ''}`)}`;
  if (p.outcome === 'pass') return `ok ${desc}\n`;
  if (p.outcome === 'skip') return `ok ${desc} # SKIP ${escapeDescription(p.reason ?? '')}`.trimEnd() + '\n';
  const diag = { message: p.reason, ...(p.description ? { description: p.description } : {}), failures: p.failures.map((f) => failureDiag(p.mode, f)), ...(p.artifact ? { log: p.artifact } : {}) };
  return `not ok ${desc}\n${yamlBlock(diag)}`;
}

function yamlBlock(diag: Record<string, unknown>): string {
  const yaml = stringify(diag, { lineWidth: 0 }).replace(/\n$/, '');
  return `  ---\n${yaml.split('\n').map((l) => `  ${l}`.trimEnd()).join('\n')}\n  ...\n`;
}

const indent = (text: string) => text.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n');

/** One step as a test point of its scenario's subtest. */
function stepPoint(n: number, st: StepResult): string {
  const desc = `${n} - ${escapeDescription(`${st.id} (${st.kind})`)}`;
  if (st.outcome === 'pass') return `ok ${desc}\n`;
  if (st.outcome === 'skip') return `ok ${desc} # SKIP ${escapeDescription(st.skipReason ?? '')}`.trimEnd() + '\n';
  return `not ok ${desc}\n${yamlBlock({ failures: st.failures.map((f) => failureDiag(st.id, f)) })}`;
}

/** A selftests file as a subtest: its programs (and modes) as test points. */
function fileSubtest(n: number, file: string, programs: ProgramResult[]): string {
  const inner = programs.map((p, j) => programPoint(j + 1, p)).join('') + `1..${programs.length}\n`;
  const ok = programs.some((p) => p.outcome === 'fail') ? 'not ok' : 'ok';
  return `# Subtest: ${escapeDescription(file)}\n${indent(inner)}${ok} ${n} - ${escapeDescription(file)}\n`;
}

/**
 * The scenario as a TAP 14 subtest: its steps, then (selftests) a subtest per file, as
 * test points; the scenario's own point follows it.
 */
function scenarioSubtest(r: ScenarioResult): string {
  const programs = r.programs ?? [];
  const files = [...new Set(programs.map((p) => p.file))];
  const points = [
    ...r.steps.map((st, i) => stepPoint(i + 1, st)),
    ...files.map((file, i) => fileSubtest(r.steps.length + i + 1, file, programs.filter((p) => p.file === file))),
  ];
  return `# Subtest: ${escapeDescription(`${r.name} [${r.kernel}]`)}\n${indent(points.join('') + `1..${points.length}\n`)}`;
}

export function tapTestPoint(n: number, r: ScenarioResult): string {
  const desc = `${n} - ${escapeDescription(`${r.name} [${r.kernel}]`)}`;
  if (r.steps.length || r.programs?.length) return scenarioSubtest(r) + tapTestPoint0(desc, r);
  return tapTestPoint0(desc, r);
}

function tapTestPoint0(desc: string, r: ScenarioResult): string {
  // A flaky pass: ok, with its failed tries as the point's YAML diagnostics.
  if (r.outcome === 'pass' && isFlaky(r)) return `ok ${desc}\n${yamlBlock({ flaky: triesNote(r), failed_tries: failedTries(r) })}`;
  if (r.outcome === 'pass') return `ok ${desc}\n`;
  if (r.outcome === 'skip') return `ok ${desc} # SKIP ${escapeDescription(r.reason ?? '')}`.trimEnd() + '\n';
  return `not ok ${desc}\n${yamlBlock(tapDiagnostics(r))}`;
}

export class TapReporter implements Reporter {
  private count = 0;
  constructor(private readonly out: NodeJS.WritableStream) {}

  scenarioFinished(r: ScenarioResult): void {
    this.count++;
    this.out.write((this.count === 1 ? HEADER : '') + tapTestPoint(this.count, r));
  }

  runFinished(run: RunResult): string {
    const head = this.count === 0 ? HEADER : '';
    return `${head}1..${this.count}\n# ${summaryLine(run)}\n`;
  }
}
