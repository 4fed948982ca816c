// Text shared by the reporters: counts, durations, and the plain-text account of a
// scenario's failures (spec prints it, junit puts it in <failure>, tap has YAML).

import type { Failure, Outcome, RunResult, ScenarioResult } from '../results/model.js';
import { SOURCE_NAMES } from '../../vm/crash/scan.js';

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

export function summaryLine(run: RunResult): string {
  const c = countOutcomes(run.scenarios);
  return `${c.pass} passed, ${c.fail} failed, ${c.skip} skipped, ${c.error} errors (${seconds(run.durationMs)})`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

export const LABEL: Record<Outcome, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', error: 'ERROR' };

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
  if (r.outcome === 'error' || (r.outcome === 'fail' && r.reason)) {
    if (r.reason) out.push(`${pad}${r.reason}`);
    if (r.crash) out.push(`${pad}from the ${SOURCE_NAMES[r.crash.source]} (${r.crash.artifact}):`, ...indent(r.crash.excerpt, `${pad}  `, PLAIN));
    if (r.consoleTail) out.push(`${pad}console:`, ...indent(r.consoleTail.replace(/\n$/, ''), `${pad}  `, PLAIN));
  }
  for (const s of r.steps) {
    if (s.failures.length === 0) continue;
    out.push(`${pad}step ${s.id} (${s.kind}):`);
    for (const f of s.failures) out.push(...formatFailure(f, `${pad}  `, style));
  }
  return out;
}

/** The first failure's message, or the reason: one line for junit's message= and tap's message. */
export function headline(r: ScenarioResult): string {
  const failures = r.steps.flatMap((s) => s.failures.map((f) => ({ step: s.id, f })));
  const first = failures[0];
  if (r.crash) return r.reason ?? r.crash.title;
  if (!first) return r.reason ?? LABEL[r.outcome];
  const more = failures.length > 1 ? ` (+${failures.length - 1} more)` : '';
  return `step ${first.step}: ${first.f.message}${more}`;
}
