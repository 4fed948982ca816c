// Programs as CSV: veristat's columns first (so its users read it as they read
// veristat's), then ours. A row is a selftest program in one mode, or a program of a
// load step's object (a scheduler's callbacks, say). veristat's own reader (-C, -R)
// refuses columns it does not know, so a second form holds exactly its columns, for one
// kernel and the privileged mode (veristat loads as root).
import { stringify } from 'csv-stringify/sync';
import type { ProgramStats, ScenarioResult } from './model.js';

/** veristat's CSV header (tools/testing/selftests/bpf/veristat.c, 6.12), in its order. */
export const VERISTAT_COLUMNS = ['file_name', 'prog_name', 'verdict', 'duration', 'total_insns', 'total_states', 'peak_states', 'max_states_per_insn', 'mark_read'];
export const OUR_COLUMNS = ['kernel', 'mode', 'outcome', 'reason', 'scenario', 'step'];
/** A runner's test (a scenario's runner:) has these filled, and veristat's left empty; a program has them empty. */
export const RUNNER_COLUMNS = ['runner', 'test', 'subtest', 'duration_ms'];

/** What a row needs, from a selftest program or a load step's program. */
interface Row {
  kernel: string;
  file: string;
  prog: string;
  mode: 'priv' | 'unpriv';
  loaded?: boolean;
  durationUs?: number;
  stats?: ProgramStats;
  outcome: string;
  reason?: string;
  scenario: string;
  step?: string;
}

/** Stats the log did not give stay empty rather than 0: nothing was measured. */
function veristatCells(p: Row): (string | number)[] {
  const s = p.stats;
  const n = (v: number | undefined) => (v === undefined ? '' : v);
  return [
    p.file, p.prog, p.loaded === undefined ? '' : p.loaded ? 'success' : 'failure', n(p.durationUs),
    n(s?.insns), n(s?.states), n(s?.peakStates), n(s?.maxStatesPerInsn), n(s?.markRead),
  ];
}

function rowsOf(results: ScenarioResult[]): Row[] {
  return results.flatMap((r) => [
    ...(r.programs ?? []).map((p) => ({ ...p, kernel: r.kernel, scenario: r.file })),
    ...r.steps.flatMap((s) => (s.programs ?? []).map((p) => ({ ...p, kernel: r.kernel, outcome: s.outcome, scenario: r.file, step: s.id }))),
  ]);
}

/** Every program, mode and kernel of the results, then every runner test and subtest. */
export function programsCsv(results: ScenarioResult[]): string {
  const rows = rowsOf(results).map((p) => [...veristatCells(p), p.kernel, p.mode, p.outcome, p.reason ?? '', p.scenario, p.step ?? '', ...RUNNER_COLUMNS.map(() => '')]);
  const tests = results.flatMap((r) => (r.tests ?? []).map((t) => [
    ...VERISTAT_COLUMNS.map(() => ''), r.kernel, '', t.outcome, t.reason ?? '', r.file, '', t.runner, t.test, t.subtest ?? '', t.durationMs ?? '',
  ]));
  return stringify([[...VERISTAT_COLUMNS, ...OUR_COLUMNS, ...RUNNER_COLUMNS], ...rows, ...tests]);
}

/**
 * Exactly veristat's columns: one kernel, the privileged mode, programs the verifier saw.
 * veristat's reader cannot take an empty field, so a program without statistics (libbpf
 * stopped it before the verifier ran) is left out here; --csv has it. veristat -C joins
 * rows on file and program, so an object loaded by several steps gives its first row.
 */
export function veristatCsv(results: ScenarioResult[], kernel: string): string {
  const complete = (p: Row) => p.stats?.states !== undefined && p.durationUs !== undefined;
  const seen = new Set<string>();
  const rows = rowsOf(results)
    .filter((p) => p.kernel === kernel && p.mode === 'priv' && p.loaded !== undefined && complete(p))
    .filter((p) => !seen.has(`${p.file}/${p.prog}`) && !!seen.add(`${p.file}/${p.prog}`))
    .map(veristatCells);
  return stringify([VERISTAT_COLUMNS, ...rows]);
}

/** --veristat-csv FILE: "{kernel}" in the name makes one file per kernel; without it, the run must have one kernel. */
export function veristatCsvFiles(pattern: string, kernels: string[]): Map<string, string> | string {
  const unique = [...new Set(kernels)];
  if (!pattern.includes('{kernel}') && unique.length > 1) return `the run has ${unique.length} kernels (${unique.join(', ')}) and veristat's columns hold one`;
  return new Map(unique.map((k) => [k, pattern.replaceAll('{kernel}', k)]));
}
