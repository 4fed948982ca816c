// A/B over selftests, program by program and mode, the way veristat -C compares two runs:
// a row for each program whose verdict, retval or log changed, or that exists on one
// side only (a series that adds or drops tests), and stats deltas above a threshold;
// the rest is counted as unchanged. Each kernel ran its own tree's files, so a program
// judged differently may also have had its tags changed by the series.
import type { Outcome, ProgramResult, ProgramStats, RunResult, StepProgram } from '../results/model.js';
import type { Scenario } from '../scenario/types.js';
import { keepStart, textTable } from '../../common/text-table.js';

export interface ProgramSide {
  verdict: string;
  /** The program's, or for a load step's program, its step's. */
  outcome: Outcome;
  retval?: number;
  insns?: number;
  states?: number;
  reason?: string;
}

export interface ProgramComparison {
  /** The scenario file. */
  file: string;
  /** FILE/PROG, as in expect_by_kernel. */
  program: string;
  mode: ProgramResult['mode'];
  base?: ProgramSide;
  patched?: ProgramSide;
  changes: ('verdict' | 'retval' | 'log' | 'outcome' | 'added' | 'removed' | 'insns' | 'states')[];
  insnsDelta?: number;
  insnsPct?: number;
  statesDelta?: number;
  statesPct?: number;
  /** Not a regression: the patched side does not fail, or the scenario declares it for the patched kernel. */
  expected: boolean;
}

export interface ProgramsComparison {
  rows: ProgramComparison[];
  unchanged: number;
  thresholdPct: number;
}

const verdict = (p: ProgramResult) => (p.outcome === 'skip' ? 'skipped' : p.loaded === undefined ? 'not loaded' : p.loaded ? 'success' : `failure ${p.errno ?? ''}`.trim());

function side(p: ProgramResult): ProgramSide {
  return {
    verdict: verdict(p), outcome: p.outcome, ...(p.retval !== undefined ? { retval: p.retval } : {}),
    ...(p.stats ? { insns: p.stats.insns, ...(p.stats.states !== undefined ? { states: p.stats.states } : {}) } : {}),
    ...(p.reason ? { reason: p.reason } : {}),
  };
}

/** The row that stands for a scenario whose kernel did not boot on one side or both. */
export const BOOT_ROW = '(boot)';

const pct = (b: number, d: number) => (b === 0 ? (d === 0 ? 0 : 100) : (100 * d) / b);

export function comparePrograms(run: RunResult, scenarios: Scenario[], base: string, patched: string, relFile: (s: Scenario) => string, thresholdPct = 5): ProgramsComparison {
  const rows: ProgramComparison[] = [];
  let unchanged = 0;
  for (const sc of scenarios.filter((s) => s.selftests.length)) {
    const file = relFile(sc);
    const result = (kernel: string) => run.scenarios.find((r) => r.file === file && r.kernel === kernel);
    // A kernel that did not boot ran no program: one row says so, rather than every program "added" or "removed".
    const [rb, rp] = [result(base), result(patched)];
    if (rb?.bootFailed !== undefined || rp?.bootFailed !== undefined) {
      const bootSide = (r: typeof rb): ProgramSide => ({ verdict: r?.bootFailed !== undefined ? `boot failed: ${r.bootFailed}` : 'booted', outcome: r?.bootFailed !== undefined ? 'fail' : 'pass' });
      const same = rb?.bootFailed === rp?.bootFailed;
      rows.push({ file, program: BOOT_ROW, mode: 'priv', base: bootSide(rb), patched: bootSide(rp), changes: same ? [] : ['verdict'], expected: rp?.bootFailed === undefined });
      continue;
    }
    const progs = (kernel: string) => new Map((result(kernel)?.programs ?? []).map((p) => [`${p.file}/${p.prog} ${p.mode}`, p]));
    const b = progs(base);
    const p = progs(patched);
    for (const key of new Set([...b.keys(), ...p.keys()])) {
      const [program, mode] = key.split(' ') as [string, ProgramResult['mode']];
      const B = b.get(key);
      const P = p.get(key);
      const changes: ProgramComparison['changes'] = [];
      const row: ProgramComparison = { file, program, mode, ...(B ? { base: side(B) } : {}), ...(P ? { patched: side(P) } : {}), changes, expected: true };
      if (!B) changes.push('added');
      else if (!P) changes.push('removed');
      else {
        if (verdict(B) !== verdict(P)) changes.push('verdict');
        if (B.retval !== P.retval) changes.push('retval');
        if ((B.logHash ?? '') !== (P.logHash ?? '')) changes.push('log');
        if (B.outcome !== P.outcome) changes.push('outcome');
        statsDeltas(row, B.stats, P.stats, thresholdPct);
      }
      const overrides = sc.program_overrides[patched] ?? {};
      const declared = overrides[program] !== undefined || (mode === 'unpriv' && overrides[`${program} @unpriv`] !== undefined);
      row.expected = declared || P?.outcome !== 'fail';
      if (changes.length || !row.expected) rows.push(row);
      else unchanged++;
    }
  }
  return { rows: sorted(rows), unchanged, thresholdPct };
}

/** Verdict and presence changes first, then by the size of the stats change. */
function sorted(rows: ProgramComparison[]): ProgramComparison[] {
  const weight = (r: ProgramComparison) => (r.changes.some((c) => c === 'verdict' || c === 'added' || c === 'removed' || c === 'outcome') ? 1e9 : 0)
    + Math.abs(r.insnsPct ?? 0) + Math.abs(r.statesPct ?? 0);
  return rows.sort((x, y) => weight(y) - weight(x) || x.program.localeCompare(y.program));
}

/** veristat -C's deltas of insns and states on the row; a change where one reaches the threshold. */
function statsDeltas(row: ProgramComparison, B: ProgramStats | undefined, P: ProgramStats | undefined, thresholdPct: number): void {
  for (const stat of ['insns', 'states'] as const) {
    const b = B?.[stat];
    const p = P?.[stat];
    if (b === undefined || p === undefined || b === p) continue;
    row[`${stat}Delta`] = p - b;
    row[`${stat}Pct`] = pct(b, p - b);
    if (Math.abs(pct(b, p - b)) >= thresholdPct) row.changes.push(stat);
  }
}

/** A load step's program as one side of a row: veristat's verdict, the step's outcome, its stats. */
function stepSide(p: StepProgram, outcome: Outcome): ProgramSide {
  return { verdict: p.loaded ? 'success' : 'failure', outcome, ...(p.stats ? { insns: p.stats.insns, ...(p.stats.states !== undefined ? { states: p.stats.states } : {}) } : {}) };
}

/**
 * The programs of load steps (a scheduler's callbacks, say), program by program, as
 * veristat -C compares two objects: the stats deltas of each program both sides
 * verified with the same verdict. The step's verdict and log are the step table's; a
 * program here is listed only for its stats, which are not regressions by themselves.
 */
export function compareStepPrograms(run: RunResult, scenarios: Scenario[], base: string, patched: string, relFile: (s: Scenario) => string, thresholdPct = 5): ProgramsComparison {
  const rows: ProgramComparison[] = [];
  let unchanged = 0;
  for (const sc of scenarios) {
    const file = relFile(sc);
    const steps = (kernel: string) => run.scenarios.find((r) => r.file === file && r.kernel === kernel)?.steps ?? [];
    const [bs, ps] = [steps(base), steps(patched)];
    for (const b of bs) {
      const p = ps.find((s) => s.id === b.id);
      for (const B of b.programs ?? []) {
        const P = p?.programs?.find((x) => x.prog === B.prog);
        // A program loaded on one side only is the step's verdict change, listed there once.
        if (!B.stats || !P?.stats || B.loaded !== P.loaded) continue;
        const row: ProgramComparison = {
          file, program: `${b.id}/${B.prog}`, mode: B.mode, changes: [], expected: true,
          base: stepSide(B, b.outcome), patched: stepSide(P, p!.outcome),
        };
        statsDeltas(row, B.stats, P.stats, thresholdPct);
        if (row.changes.length) rows.push(row);
        else unchanged++;
      }
    }
  }
  return { rows: sorted(rows), unchanged, thresholdPct };
}

const signed = (n: number) => `${n >= 0 ? '+' : ''}${n}`;
/** veristat's delta form: "+N (+x%)". */
export const delta = (d?: number, p?: number) => (d === undefined ? '' : `${signed(d)} (${signed(Math.round((p ?? 0) * 100) / 100)}%)`);
const cell = (s: ProgramSide | undefined) => (s ? `${s.verdict}${s.retval !== undefined ? ` ret=${s.retval}` : ''}${s.outcome === 'fail' ? ' FAIL' : ''}` : '-');

/** @param what the table's title: "selftest programs", or "load step programs", whose rows also name their scenario. */
export function formatProgramsComparison(c: ProgramsComparison, base: string, patched: string, what = 'selftest programs'): string {
  const lines = [`${what} (${base} -> ${patched}):`];
  const label = (r: ProgramComparison) => `${what === 'selftest programs' ? '' : `${r.file.replace(/^scenarios\//, '')} `}${r.program}${r.mode === 'unpriv' ? ' @unpriv' : ''}`;
  const rows = c.rows.map((r) => {
    const stats = [r.insnsDelta !== undefined && `insns ${r.base?.insns} -> ${r.patched?.insns} ${delta(r.insnsDelta, r.insnsPct)}`,
      r.statesDelta !== undefined && `states ${r.base?.states} -> ${r.patched?.states} ${delta(r.statesDelta, r.statesPct)}`].filter(Boolean).join(', ');
    return [label(r), keepStart(cell(r.base), 32), keepStart(cell(r.patched), 32), `${r.changes.join('+') || 'same'}${r.expected ? '' : ' UNEXPECTED'}`, stats];
  });
  if (rows.length) {
    const table = textTable(['program', base, patched, 'change', 'stats'], rows).trimEnd().split('\n');
    // The reason of an unexpected failure under its row.
    lines.push(...table.slice(0, 1).map((l) => `  ${l}`));
    c.rows.forEach((r, i) => {
      lines.push(`  ${table[i + 1]}`);
      if (!r.expected && r.patched?.reason) lines.push(`      ${r.patched.reason}`);
    });
  }
  lines.push(`  ${c.rows.length} listed, ${c.unchanged} unchanged (stats deltas under ${c.thresholdPct}% not counted as changes)`);
  return `${lines.join('\n')}\n`;
}
