// A/B over the tree's runners, test by test and subtest by subtest: the verdicts that
// changed, new failures first (with the failing side's log), then fixes, then tests that
// appear or vanish (a series that adds or drops tests); the rest is counted as unchanged.
// A new failure is unexpected; nothing else is.
import type { RunResult, RunnerTest } from '../results/model.js';
import type { Scenario } from '../scenario/types.js';
import { keepStart, textTable } from '../../common/text-table.js';

export type TestChange = 'new failure' | 'fixed' | 'appeared' | 'vanished' | 'changed';

export interface TestComparison {
  file: string;
  runner: string;
  /** TEST or TEST/SUBTEST (test_verifier: DESCR/u or DESCR/p). */
  name: string;
  base?: Pick<RunnerTest, 'outcome' | 'reason'>;
  patched?: Pick<RunnerTest, 'outcome' | 'reason'>;
  change: TestChange;
  /** The failing side's log (the patched side's for a new failure, the base's for a fix). */
  log?: string;
  expected: boolean;
}

export interface TestsComparison {
  rows: TestComparison[];
  unchanged: number;
}

const ORDER: TestChange[] = ['new failure', 'fixed', 'appeared', 'vanished', 'changed'];
const nameOf = (t: RunnerTest) => (t.subtest ? `${t.test}/${t.subtest}` : t.test);
const side = (t: RunnerTest) => ({ outcome: t.outcome, ...(t.reason ? { reason: t.reason } : {}) });

function changeOf(b: RunnerTest | undefined, p: RunnerTest | undefined): TestChange | undefined {
  if (!b) return p!.outcome === 'fail' ? 'new failure' : 'appeared';
  if (!p) return 'vanished';
  if (b.outcome === p.outcome) return undefined;
  if (p.outcome === 'fail') return 'new failure';
  if (b.outcome === 'fail') return 'fixed';
  return 'changed';
}

export function compareRunnerTests(run: RunResult, scenarios: Scenario[], base: string, patched: string, relFile: (s: Scenario) => string): TestsComparison {
  const rows: TestComparison[] = [];
  let unchanged = 0;
  for (const sc of scenarios.filter((s) => s.runner)) {
    const file = relFile(sc);
    const tests = (kernel: string) => new Map((run.scenarios.find((r) => r.file === file && r.kernel === kernel)?.tests ?? []).map((t) => [nameOf(t), t]));
    const [b, p] = [tests(base), tests(patched)];
    for (const name of new Set([...b.keys(), ...p.keys()])) {
      const [B, P] = [b.get(name), p.get(name)];
      const change = changeOf(B, P);
      if (!change) {
        unchanged++;
        continue;
      }
      const failing = change === 'fixed' ? B : P?.outcome === 'fail' ? P : undefined;
      rows.push({
        file, runner: (B ?? P)!.runner, name, ...(B ? { base: side(B) } : {}), ...(P ? { patched: side(P) } : {}), change,
        ...(failing?.log ? { log: failing.log } : {}), expected: change !== 'new failure',
      });
    }
  }
  rows.sort((x, y) => ORDER.indexOf(x.change) - ORDER.indexOf(y.change) || x.name.localeCompare(y.name));
  return { rows, unchanged };
}

const cell = (s: TestComparison['base']) => (s ? s.outcome : '-');

/** The table, each new failure's reason and the start of its log under its row. */
export function formatTestsComparison(c: TestsComparison, base: string, patched: string): string {
  const lines = [`runner tests (${base} -> ${patched}):`];
  if (c.rows.length) {
    const table = textTable(['test', base, patched, 'change'], c.rows.map((r) => [`${r.runner} ${keepStart(r.name, 70)}`, cell(r.base), cell(r.patched), `${r.change}${r.expected ? '' : ' UNEXPECTED'}`])).trimEnd().split('\n');
    lines.push(`  ${table[0]}`);
    c.rows.forEach((r, i) => {
      lines.push(`  ${table[i + 1]}`);
      const why = r.change === 'fixed' ? r.base?.reason : r.patched?.reason;
      if (r.change === 'new failure' && why) lines.push(`      ${why}`);
      if (r.change === 'new failure' && r.log) lines.push(...r.log.split('\n').slice(0, 12).map((l) => `      | ${l}`));
    });
  }
  lines.push(`  ${c.rows.length} changed, ${c.unchanged} unchanged`);
  return `${lines.join('\n')}\n`;
}
