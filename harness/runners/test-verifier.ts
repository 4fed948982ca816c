// test_verifier's output, read as the tree's test_verifier.c prints it (6.12): one line
// per test and mode, "#N/u DESCR " or "#N/p DESCR " followed on the same line by "OK",
// "N cases OK", "SKIP (why)" or "FAIL", and after a FAIL the reason and the verifier
// log on the lines up to the next test; "Summary: P PASSED, S SKIPPED, F FAILED" last.
import type { RunnerTest } from '../results/model.js';

const START = /^#(\d+)\/([up]) (.*)$/;
const SKIP = / SKIP(?: \((.*)\))?$/;
/** "DESCR [Did not run the program (not supported)] [N cases] OK [(NOTE: ...)]": loaded as expected, run or not. */
const OK = /^(.*?)(?: Did not run the program \(([^)]*)\))?(?: \d+ cases)? OK(?: \(NOTE: (.*)\))?$/;
const FAIL = / FAIL$/;
/** A failed run of a test that loaded: "(run 1/2) " for each, then the log. */
const RUN_FAIL = /^(.*?)(?: \(run \d+\/\d+\))+ ?$/;

export interface TestVerifierOutput {
  tests: RunnerTest[];
  /** The runner's own summary line, when it got that far. */
  summary?: { passed: number; skipped: number; failed: number };
}

export function parseTestVerifier(out: string): TestVerifierOutput {
  const tests: RunnerTest[] = [];
  let summary: TestVerifierOutput['summary'];
  let open: { test: RunnerTest; log: string[] } | undefined;
  const close = () => {
    if (!open) return;
    const log = open.log.join('\n').trim();
    if (open.test.outcome === 'fail') {
      open.test.reason ??= log.split('\n')[0] || 'failed';
      if (log) open.test.log = log;
    }
    open = undefined;
  };
  for (const line of out.split('\n')) {
    const m = START.exec(line);
    const s = /^Summary: (\d+) PASSED, (\d+) SKIPPED, (\d+) FAILED$/.exec(line);
    if (s) {
      close();
      summary = { passed: Number(s[1]), skipped: Number(s[2]), failed: Number(s[3]) };
      continue;
    }
    if (!m) {
      open?.log.push(line);
      continue;
    }
    close();
    const [, n, mode, rest] = m as unknown as [string, string, 'u' | 'p', string];
    const at = { runner: 'test_verifier', number: `#${n}/${mode}`, subtest: mode };
    let t: RunnerTest;
    const skip = SKIP.exec(rest);
    const ok = OK.exec(rest);
    const run = RUN_FAIL.exec(rest);
    if (skip) t = { ...at, test: rest.slice(0, skip.index), outcome: 'skip', reason: skip[1] ?? (mode === 'u' ? 'unprivileged BPF is disabled' : 'skipped by the runner') };
    else if (FAIL.test(rest)) t = { ...at, test: rest.replace(FAIL, ''), outcome: 'fail' };
    else if (ok) {
      const note = ok[2] ? `loaded; did not run the program (${ok[2]})` : ok[3];
      t = { ...at, test: ok[1]!, outcome: 'pass', ...(note ? { reason: note } : {}) };
    } else if (run) t = { ...at, test: run[1]!, outcome: 'fail', reason: 'a test run returned other than expected' };
    // The line stopped there: the runner died (or the guest did) in this test.
    else t = { ...at, test: rest.trim(), outcome: 'fail', reason: 'no verdict: the runner stopped in this test' };
    tests.push(t);
    open = { test: t, log: [] };
  }
  close();
  return { tests, ...(summary ? { summary } : {}) };
}
