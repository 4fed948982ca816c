// TAP version 14: one test point per scenario x kernel, written as each finishes;
// the plan comes last (allowed by TAP 14), failures carry a YAML diagnostic block.

import { stringify } from 'yaml';
import type { Failure, RunResult, ScenarioResult } from '../results/model.js';
import type { Reporter } from './reporter.js';
import { headline, summaryLine } from './format.js';

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
    ...(r.consoleTail ? { console_tail: r.consoleTail } : {}),
  };
}

export function tapTestPoint(n: number, r: ScenarioResult): string {
  const desc = `${n} - ${escapeDescription(`${r.name} [${r.kernel}]`)}`;
  if (r.outcome === 'pass') return `ok ${desc}\n`;
  if (r.outcome === 'skip') return `ok ${desc} # SKIP ${escapeDescription(r.reason ?? '')}`.trimEnd() + '\n';
  const yaml = stringify(tapDiagnostics(r), { lineWidth: 0 }).replace(/\n$/, '');
  const block = yaml.split('\n').map((l) => `  ${l}`.trimEnd()).join('\n');
  return `not ok ${desc}\n  ---\n${block}\n  ...\n`;
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
