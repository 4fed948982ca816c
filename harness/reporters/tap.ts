// TAP version 14: one test point per scenario x kernel, written as each finishes;
// the plan comes last (allowed by TAP 14), failures carry a YAML diagnostic block.

import { stringify } from 'yaml';
import type { Failure, ProgramResult, RunResult, ScenarioResult } from '../results/model.js';
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

/** selftests: a subtest per file, its programs (and modes) as test points (TAP 14 subtests). */
function programSubtests(r: ScenarioResult): string {
  const programs = r.programs ?? [];
  const files = [...new Set(programs.map((p) => p.file))];
  const parts = files.map((file, i) => {
    const mine = programs.filter((p) => p.file === file);
    const inner = mine.map((p, j) => programPoint(j + 1, p)).join('') + `1..${mine.length}\n`;
    const ok = mine.some((p) => p.outcome === 'fail') ? 'not ok' : 'ok';
    return `# Subtest: ${escapeDescription(file)}\n${indent(inner)}${ok} ${i + 1} - ${escapeDescription(file)}\n`;
  });
  return `# Subtest: ${escapeDescription(`${r.name} [${r.kernel}]`)}\n${indent(parts.join('') + `1..${files.length}\n`)}`;
}

export function tapTestPoint(n: number, r: ScenarioResult): string {
  const desc = `${n} - ${escapeDescription(`${r.name} [${r.kernel}]`)}`;
  if (r.programs?.length) return programSubtests(r) + tapTestPoint0(desc, r);
  return tapTestPoint0(desc, r);
}

function tapTestPoint0(desc: string, r: ScenarioResult): string {
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
