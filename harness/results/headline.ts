// A scenario's result in one line (the first failure, or the reason), for the reports and
// for the runner, which keeps that line of each failed try of a scenario it runs again.
import { isFlaky, type Outcome, type ProgramResult, type ScenarioResult } from './model.js';

export const LABEL: Record<Outcome, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP', error: 'ERROR' };

/** FILE/PROG, with " @unpriv" for the unprivileged mode as test_progs names its subtests. */
export const programName = (p: ProgramResult) => `${p.file}/${p.prog}${p.mode === 'unpriv' ? ' @unpriv' : ''}`;

/** The first failure's message, or the reason: one line for junit's message= and tap's message. */
export function headline(r: ScenarioResult): string {
  const failures = r.steps.flatMap((s) => s.failures.map((f) => ({ step: s.id, f })));
  const first = failures[0];
  if (r.crash) return r.reason ?? r.crash.title;
  const failedPrograms = (r.programs ?? []).filter((p) => p.outcome === 'fail');
  if (!first && failedPrograms.length) {
    const more = failedPrograms.length > 1 ? ` (+${failedPrograms.length - 1} more)` : '';
    return `${programName(failedPrograms[0]!)}: ${failedPrograms[0]!.reason}${more}`;
  }
  const failedTests = (r.tests ?? []).filter((t) => t.outcome === 'fail');
  if (!first && failedTests.length) {
    const t = failedTests[0]!;
    const more = failedTests.length > 1 ? ` (+${failedTests.length - 1} more)` : '';
    return `${t.runner} ${t.number} ${t.test}${t.subtest ? `/${t.subtest}` : ''}: ${t.reason ?? 'failed'}${more}`;
  }
  if (!first) return r.reason ?? LABEL[r.outcome];
  const more = failures.length > 1 ? ` (+${failures.length - 1} more)` : '';
  return `step ${first.step}: ${first.f.message}${more}`;
}

/** "flaky (1 of 3)": failed on 1 of its 3 tries; "failed on all 3 tries"; undefined when it ran once. */
export function triesNote(r: ScenarioResult): string | undefined {
  if (!r.tries || r.tries.runs < 2) return undefined;
  if (isFlaky(r)) return `flaky (${r.tries.failed.length} of ${r.tries.runs})`;
  return r.outcome === 'fail' ? `failed on all ${r.tries.runs} tries` : undefined;
}

/** Each failed try, a line each: "try 1: REASON (ARTIFACTS)". */
export function failedTries(r: ScenarioResult): string[] {
  return (r.tries?.failed ?? []).map((f) => `try ${f.try}: ${f.reason}${f.artifactDir ? ` (${f.artifactDir})` : ''}`);
}
