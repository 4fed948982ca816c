// JUnit XML as CI systems read it: a <testsuite> per kernel, a <testcase> per
// scenario, <failure> for failed expectations, <error> for infrastructure errors.

import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { isFlaky, type ProgramResult, type RunnerTest, type RunResult, type ScenarioResult } from '../results/model.js';
import { failedTries, triesNote } from '../results/headline.js';
import type { Reporter } from './reporter.js';
import { countOutcomes, formatFailure, formatScenarioDetails, headline } from './format.js';

// XML 1.0 cannot hold most C0 controls (console logs have ANSI escapes).
const INVALID_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g;
const clean = (s: string) => s.replace(INVALID_XML, '');
const secs = (ms: number) => (ms / 1000).toFixed(3);

function stepLogs(r: ScenarioResult): string {
  const parts: string[] = [];
  for (const s of r.steps) {
    const text = s.log ?? [s.stdout, s.stderr].filter(Boolean).join('\n');
    if (text) parts.push(`== step ${s.id} (${s.kind}) ==\n${text.replace(/\n$/, '')}`);
  }
  return parts.join('\n');
}

function addCase(suite: XMLBuilder, r: ScenarioResult): void {
  // The kernel in the name too: CI systems list testcases without their suite.
  const tc = suite.ele('testcase', {
    name: `${r.name} [${r.kernel}]`,
    classname: r.file.replace(/\.ya?ml$/, '').replace(/\//g, '.'),
    file: r.file,
    time: secs(r.durationMs),
  });
  const details = clean(formatScenarioDetails(r, '').join('\n'));
  if (r.outcome === 'fail') {
    const first = r.steps.flatMap((s) => s.failures)[0];
    tc.ele('failure', { message: clean(headline(r)), type: first?.expectation ?? 'fail' }).txt(details);
  } else if (r.outcome === 'error') {
    tc.ele('error', { message: clean(r.reason ?? 'error'), type: 'infrastructure' }).txt(details);
  } else if (r.outcome === 'skip') {
    tc.ele('skipped', { message: clean(r.reason ?? '') });
  }
  // A flaky pass says so where CI systems show a passed case's output.
  const note = isFlaky(r) ? `${[`${triesNote(r)}:`, ...failedTries(r)].join('\n')}\n` : '';
  const logs = clean(note + stepLogs(r));
  if (logs) tc.ele('system-out').txt(logs);
  for (const p of r.programs ?? []) addProgramCase(suite, r, p);
  for (const t of r.tests ?? []) addRunnerCase(suite, r, t);
}

/** runner scenarios: a testcase per test and subtest, named as the runner prints it. */
function addRunnerCase(suite: XMLBuilder, r: ScenarioResult, t: RunnerTest): void {
  const tc = suite.ele('testcase', {
    name: `${t.number} ${t.test}${t.subtest ? `/${t.subtest}` : ''}`,
    classname: `${r.file.replace(/\.ya?ml$/, '').replace(/\//g, '.')}.${t.runner}`,
    file: r.file,
    time: secs(t.durationMs ?? 0),
  });
  if (t.outcome === 'fail') tc.ele('failure', { message: clean(t.reason ?? 'fail'), type: 'fail' }).txt(clean(t.log ?? ''));
  else if (t.outcome === 'skip') tc.ele('skipped', { message: clean(t.reason ?? '') });
}

/** selftests: a testcase per program and mode, named as test_progs names its subtests. */
function addProgramCase(suite: XMLBuilder, r: ScenarioResult, p: ProgramResult): void {
  const tc = suite.ele('testcase', {
    name: `${p.prog}${p.mode === 'unpriv' ? ' @unpriv' : ''}`,
    classname: `${r.file.replace(/\.ya?ml$/, '').replace(/\//g, '.')}.${p.file}`,
    file: r.file,
    time: secs((p.durationUs ?? 0) / 1000),
  });
  if (p.outcome === 'fail') {
    const text = p.failures.flatMap((f) => formatFailure(f, '')).join('\n') + (p.artifact ? `\nlog: ${p.artifact}` : '');
    tc.ele('failure', { message: clean(p.reason ?? 'fail'), type: p.failures[0]?.expectation ?? 'fail' }).txt(clean(text));
  } else if (p.outcome === 'skip') {
    tc.ele('skipped', { message: clean(p.reason ?? '') });
  }
}

/** Scenario testcases plus a testcase per selftest program and mode. */
function caseCounts(results: ScenarioResult[]) {
  const c = countOutcomes(results);
  const cases = [...results.flatMap((r) => r.programs ?? []), ...results.flatMap((r) => r.tests ?? [])];
  return {
    total: c.total + cases.length, fail: c.fail + cases.filter((p) => p.outcome === 'fail').length,
    error: c.error, skip: c.skip + cases.filter((p) => p.outcome === 'skip').length,
  };
}

export function junitXml(run: RunResult): string {
  const all = caseCounts(run.scenarios);
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: 'bpf-harness',
    tests: all.total, failures: all.fail, errors: all.error, skipped: all.skip,
    time: secs(run.durationMs),
    timestamp: run.startedAt,
  });
  const byKernel = new Map<string, ScenarioResult[]>();
  for (const r of run.scenarios) byKernel.set(r.kernel, [...(byKernel.get(r.kernel) ?? []), r]);
  for (const [kernel, results] of byKernel) {
    const c = caseCounts(results);
    const suite = root.ele('testsuite', {
      name: kernel,
      tests: c.total, failures: c.fail, errors: c.error, skipped: c.skip,
      time: secs(results.reduce((t, r) => t + r.durationMs, 0)),
      timestamp: run.startedAt,
    });
    const props = suite.ele('properties');
    props.ele('property', { name: 'target', value: run.target });
    if (run.accel) props.ele('property', { name: 'accel', value: run.accel });
    for (const r of results) addCase(suite, r);
  }
  return root.end({ prettyPrint: true }) + '\n';
}

export class JunitReporter implements Reporter {
  scenarioFinished(_r: ScenarioResult): void {}
  runFinished(run: RunResult): string {
    return junitXml(run);
  }
}
