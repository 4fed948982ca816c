// A/B over selftests, program by program and mode, the way veristat -C compares two runs:
// a row for each program whose verdict, retval or log changed, or that exists on one
// side only (a series that adds or drops tests), and stats deltas above a threshold;
// the rest is counted as unchanged. Each kernel ran its own tree's files, so a program
// judged differently may also have had its tags changed by the series.
import type { ProgramResult, RunResult } from '../results/model.js';
import type { Scenario } from '../scenario/types.js';

export interface ProgramSide {
  verdict: string;
  outcome: ProgramResult['outcome'];
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
        for (const stat of ['insns', 'states'] as const) {
          const b = B.stats?.[stat];
          const p = P.stats?.[stat];
          if (b === undefined || p === undefined || b === p) continue;
          row[`${stat}Delta`] = p - b;
          row[`${stat}Pct`] = pct(b, p - b);
          if (Math.abs(pct(b, p - b)) >= thresholdPct) changes.push(stat);
        }
      }
      const overrides = sc.program_overrides[patched] ?? {};
      const declared = overrides[program] !== undefined || (mode === 'unpriv' && overrides[`${program} @unpriv`] !== undefined);
      row.expected = declared || P?.outcome !== 'fail';
      if (changes.length || !row.expected) rows.push(row);
      else unchanged++;
    }
  }
  // Verdict and presence changes first, then by the size of the stats change.
  const weight = (r: ProgramComparison) => (r.changes.some((c) => c === 'verdict' || c === 'added' || c === 'removed' || c === 'outcome') ? 1e9 : 0)
    + Math.abs(r.insnsPct ?? 0) + Math.abs(r.statesPct ?? 0);
  rows.sort((x, y) => weight(y) - weight(x) || x.program.localeCompare(y.program));
  return { rows, unchanged, thresholdPct };
}

const signed = (n: number) => `${n >= 0 ? '+' : ''}${n}`;
/** veristat's delta form: "+N (+x%)". */
export const delta = (d?: number, p?: number) => (d === undefined ? '' : `${signed(d)} (${signed(Math.round((p ?? 0) * 100) / 100)}%)`);
const cell = (s: ProgramSide | undefined) => (s ? `${s.verdict}${s.retval !== undefined ? ` ret=${s.retval}` : ''}${s.outcome === 'fail' ? ' FAIL' : ''}` : '-');

export function formatProgramsComparison(c: ProgramsComparison, base: string, patched: string): string {
  const lines = [`selftest programs (${base} -> ${patched}):`];
  const w = Math.min(70, Math.max(20, ...c.rows.map((r) => r.program.length + (r.mode === 'unpriv' ? 8 : 0))));
  for (const r of c.rows) {
    const name = `${r.program}${r.mode === 'unpriv' ? ' @unpriv' : ''}`;
    const stats = [r.insnsDelta !== undefined && `insns ${r.base?.insns} -> ${r.patched?.insns} ${delta(r.insnsDelta, r.insnsPct)}`,
      r.statesDelta !== undefined && `states ${r.base?.states} -> ${r.patched?.states} ${delta(r.statesDelta, r.statesPct)}`].filter(Boolean).join(', ');
    lines.push(`  ${name.padEnd(w)}  ${cell(r.base).padEnd(22)} ${cell(r.patched).padEnd(22)} ${r.changes.join('+') || 'same'}${r.expected ? '' : ' UNEXPECTED'}${stats ? `  ${stats}` : ''}`);
    if (!r.expected && r.patched?.reason) lines.push(`  ${''.padEnd(w)}  ${r.patched.reason}`);
  }
  lines.push(`  ${c.rows.length} listed, ${c.unchanged} unchanged (stats deltas under ${c.thresholdPct}% not counted as changes)`);
  return `${lines.join('\n')}\n`;
}
