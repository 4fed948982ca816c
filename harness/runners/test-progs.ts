// test_progs' output (and its flavours'), read as the tree's test_progs.c prints it
// (6.12, without -v): for each test that ran, its subtests as "#N/M TEST/SUBTEST:RESULT",
// then the test itself as "#N TEST:RESULT", where RESULT is OK, SKIP, FAIL or
// "OK (SKIP: s/n)". A failed test's or subtest's log comes right before its line (the
// runner prints the logs of failures only). "All error logs:" repeats them after the
// last test, and "Summary: P/S PASSED, K SKIPPED, F FAILED" ends a run that got there.
// The tests are numbered by their place in the generated prog_tests/tests.h.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnerTest } from '../results/model.js';

const SUBTEST = /^#(\d+)\/(\d+)\s+([^/\s][^/]*?)\/(.*):(OK|SKIP|FAIL)$/;
const TEST = /^#(\d+)\s+(\S+):(OK|SKIP|FAIL)(?: \(SKIP: (\d+)\/(\d+)\))?$/;
const SUMMARY = /^Summary: (\d+)\/(\d+) PASSED, (\d+) SKIPPED, (\d+) FAILED$/;

/** Where a failure's log is cut: the verifier logs of a failed load run to megabytes. */
export const LOG_LIMIT = 16_000;

export interface TestProgsOutput {
  tests: RunnerTest[];
  /** The test numbers that reported their verdict (the rest did not finish). */
  finished: Set<number>;
  summary?: { passed: number; passedSubtests: number; skipped: number; failed: number };
}

const OUTCOME = { OK: 'pass', SKIP: 'skip', FAIL: 'fail' } as const;

/** The log kept of a failure: its head, and the tail where it is long (the reason is usually last). */
export function cutLog(lines: string[]): string | undefined {
  const text = lines.join('\n').trim();
  if (!text) return undefined;
  if (text.length <= LOG_LIMIT) return text;
  const half = LOG_LIMIT / 2;
  return `${text.slice(0, half)}\n[... ${text.length - LOG_LIMIT} characters cut ...]\n${text.slice(-half)}`;
}

/** The line that says why: test_progs' failed checks print "...:FAIL:..." (ASSERT_*, CHECK). */
function reasonOf(lines: string[]): string | undefined {
  const check = lines.find((l) => /:FAIL:/.test(l));
  return (check ?? lines.find((l) => l.trim()))?.trim().slice(0, 300);
}

export function parseTestProgs(out: string, runner: string): TestProgsOutput {
  const tests: RunnerTest[] = [];
  const finished = new Set<number>();
  let summary: TestProgsOutput['summary'];
  /** Lines since the last verdict line: the log of whatever reports next. */
  let pending: string[] = [];
  for (const line of out.split('\n')) {
    // The repeat of the failures' logs after the last test: the first printing has them.
    if (line === 'All error logs:') {
      pending = [];
      break;
    }
    const sub = SUBTEST.exec(line);
    const test = sub ? undefined : TEST.exec(line);
    if (!sub && !test) {
      pending.push(line);
      continue;
    }
    const [n, name, result] = sub ? [Number(sub[1]), sub[3]!, sub[5]!] : [Number(test![1]), test![2]!, test![3]!];
    const outcome = OUTCOME[result as keyof typeof OUTCOME];
    const t: RunnerTest = sub
      ? { runner, test: name, subtest: sub[4]!, number: `#${n}/${sub[2]}`, outcome }
      : { runner, test: name, number: `#${n}`, outcome };
    if (test?.[4]) t.reason = `${test[4]} of ${test[5]} subtests skipped`;
    if (outcome === 'fail') {
      const log = cutLog(pending);
      t.reason = reasonOf(pending) ?? (sub ? 'failed (no log)' : 'failed (a subtest failed, or the test outside its subtests)');
      if (log) t.log = log;
    } else if (outcome === 'skip') {
      t.reason = reasonOf(pending) ?? 'skipped by test_progs (it says why only with -v)';
    }
    if (!sub) finished.add(n);
    tests.push(t);
    pending = [];
  }
  for (const line of out.split('\n')) {
    const s = SUMMARY.exec(line);
    if (s) summary = { passed: Number(s[1]), passedSubtests: Number(s[2]), skipped: Number(s[3]), failed: Number(s[4]) };
  }
  return { tests, finished, ...(summary ? { summary } : {}) };
}

/** A test's own verdict line ("#12 name:OK"), read as it streams; undefined for any other line. */
export function testVerdict(line: string): { number: number; outcome: RunnerTest['outcome'] } | undefined {
  const m = TEST.exec(line);
  return m ? { number: Number(m[1]), outcome: OUTCOME[m[3] as keyof typeof OUTCOME] } : undefined;
}

/** The tests in the order test_progs numbers them (#1 first), from the build's prog_tests/tests.h. */
export function readTestList(testsH: string): string[] {
  return [...testsH.matchAll(/^DEFINE_TEST\(([A-Za-z0-9_]+)\)$/gm)].map((m) => m[1]!);
}

/** The tests one prog_tests/*.c file defines: its test_ and serial_test_ functions, as the Makefile's sed finds them. */
export function testsInFile(source: string): string[] {
  return [...source.matchAll(/^void (?:serial_)?test_([a-zA-Z0-9_]+)\((?:void)?\)/gm)].map((m) => m[1]!);
}

/** The tests of a tree's prog_tests/*.c as its Makefile lists them into tests.h (one per test_ or serial_test_ function, sorted as LC_ALL=C sorts). */
export function testsOfTree(progTests: string): string[] {
  const lines = readdirSync(progTests).filter((f) => f.endsWith('.c')).flatMap((f) => testsInFile(readFileSync(join(progTests, f), 'utf8')).map((t) => `DEFINE_TEST(${t})`));
  return readTestList(lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join('\n'));
}
