// A/B: the same scenarios on a base and a patched kernel, compared step by step the way
// veristat's compare mode does: verdict (loaded or errno, exit code), normalized log
// differences, verifier stats with deltas. A change is expected when the scenario
// declares it (expect_by_kernel for the patched kernel names that step) and the patched
// run passes; any other change is unexpected, but for two kinds that do not repeat: a
// kernel log (dmesg step) that differs while both verdicts hold is shown and not counted,
// unless the scenario says exact_logs: true; and a side that failed
// was run again (--retries), so a failure that did not repeat is a flaky pass, no change.
import { createTwoFilesPatch } from 'diff';
import { isFlaky, type RunKernel, type RunResult, type ScenarioResult, type StepResult } from '../results/model.js';
import type { Scenario } from '../scenario/types.js';
import { compareRunnerTests, formatTestsComparison, type TestsComparison } from './runner-tests.js';
import { comparePrograms, compareStepPrograms, formatProgramsComparison, type ProgramsComparison } from './programs.js';
import { keepEnd, keepStart, textTable } from '../../common/text-table.js';

export interface Side {
  verdict: string;
  outcome: string;
  insns?: number;
  states?: number;
}

export interface StepComparison {
  file: string;
  scenario: string;
  step: string;
  base: Side;
  patched: Side;
  /** Verdict, log or stats differ. */
  changed: boolean;
  verdictChanged: boolean;
  logChanged: boolean;
  /** Unified diff of the normalized logs (base -> patched), when they differ. */
  logDiff?: string;
  insnsDelta?: number;
  statesDelta?: number;
  /** Declared in expect_by_kernel for the patched kernel, and the patched step passed (or was skipped, as declared). */
  expected: boolean;
  /** Only a dmesg step's log changed, both verdicts the same and the patched step passing: shown, not counted. */
  logOnly?: boolean;
  /** The scenario passed on one side only after failing on an earlier try. */
  flaky?: boolean;
}

export interface Comparison {
  base: string;
  patched: string;
  /** What each side ran, as its run resolved and opened it (absent from results written before these were kept). */
  kernels?: { base?: RunKernel; patched?: RunKernel };
  steps: StepComparison[];
  /** selftests scenarios: program by program. */
  programs?: ProgramsComparison;
  /** The programs of load steps (each callback of a scheduler): stats deltas. */
  stepPrograms?: ProgramsComparison;
  /** runner: scenarios: test by test and subtest by subtest. */
  tests?: TestsComparison;
  /** Unexpected steps, programs and runner tests. */
  unexpected: number;
}

/** Unified diff base -> patched, without jsdiff's "=====" separator line. */
function logDiff(base: string, patched: string, a: string, b: string): string {
  return createTwoFilesPatch(base, patched, a, b, '', '', { context: 2 })
    .split('\n').filter((l) => !/^(={5,}|Index:)/.test(l)).join('\n').trimEnd();
}

/** A kernel backtrace frame ("  func+0x51/0x58 [module]"): offsets differ between any two builds. */
const FRAME = /^\s+\S+\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[\S+\])?$/;
/** Messages about the emulated machine's timing, printed whenever the host was slow. */
const MACHINE_NOISE = [/^hrtimer: interrupt took \d+ ns$/, /^clocksource: .*(?:unstable|skew)/i, /^sched: RT throttling activated$/];

/**
 * A step's log as the two kernels are compared on it. Kernel messages lose what differs
 * between any two boots or builds: backtrace frames, which task happened to be running
 * (comm[PID]), and the machine's timing complaints.
 */
function comparable(s: StepResult | undefined): string[] {
  if (!s?.log) return [];
  const lines = s.log.replace(/\n+$/, '').split('\n');
  if (s.kind !== 'dmesg') return lines;
  return lines.filter((l) => !FRAME.test(l) && !MACHINE_NOISE.some((re) => re.test(l))).map((l) => l.replace(/\b[\w.:/-]+\[\d+\]/g, '<task>'));
}

const asText = (lines: string[]) => (lines.length ? `${lines.join('\n')}\n` : '');

/**
 * Whether the logs differ. A program's verifier log cut at libbpf's buffer size ends
 * mid-line where the limit fell, which moves as soon as anything before it is a byte
 * longer: a line that is a prefix of the other side's, at the end of a program's log
 * (the log's end, or before the next "# prog"), is not a difference.
 */
function logsDiffer(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return true;
  return a.some((x, i) => {
    const y = b[i]!;
    if (x === y) return false;
    const endOfProgram = i === a.length - 1 || a[i + 1]!.startsWith('# prog ');
    return !(endOfProgram && (x.startsWith(y) || y.startsWith(x)));
  });
}

export function verdictOf(s: StepResult | undefined): string {
  if (!s) return 'not run';
  if (s.outcome === 'skip') return 'skipped';
  if (s.kind === 'load') return s.loaded ? 'loaded' : s.errno ?? 'failed';
  if (s.kind === 'run') return `exit ${s.exit ?? '?'}`;
  return s.outcome === 'pass' ? 'matched' : 'not matched';
}

/** A step's verdict, or what stopped its scenario before it: a kernel that did not boot, or a broken machine. */
export function stepVerdict(s: StepResult | undefined, r: ScenarioResult | undefined): string {
  if (r?.bootFailed !== undefined) return `boot failed: ${r.bootFailed}`;
  if (r?.outcome === 'error' && !s) return `error: ${r.reason ?? ''}`.slice(0, 60);
  return verdictOf(s);
}

function side(s: StepResult | undefined, r: ScenarioResult | undefined): Side {
  const outcome = s?.outcome ?? r?.outcome ?? 'missing';
  return { verdict: stepVerdict(s, r), outcome, insns: s?.stats?.insns, states: s?.stats?.states };
}

/** The comparison of two runs' results (each scenario file ran on both kernels). */
export function compareRuns(run: RunResult, scenarios: Scenario[], base: string, patched: string, relFile: (s: Scenario) => string, thresholdPct = 5): Comparison {
  const find = (file: string, kernel: string) => run.scenarios.find((r) => r.file === file && r.kernel === kernel);
  const steps: StepComparison[] = [];
  for (const sc of scenarios) {
    const file = relFile(sc);
    const b = find(file, base);
    const p = find(file, patched);
    for (const st of sc.steps) {
      const bs = b?.steps.find((s) => s.id === st.id);
      const ps = p?.steps.find((s) => s.id === st.id);
      const B = side(bs, b);
      const P = side(ps, p);
      // A side whose kernel did not boot has no log: its verdict says all there is.
      const [bl, pl] = [comparable(bs), comparable(ps)];
      const logChanged = b?.bootFailed === undefined && p?.bootFailed === undefined && logsDiffer(bl, pl);
      const verdictChanged = B.verdict !== P.verdict;
      const insnsDelta = B.insns !== undefined && P.insns !== undefined ? P.insns - B.insns : undefined;
      const statesDelta = B.states !== undefined && P.states !== undefined ? P.states - B.states : undefined;
      const changed = verdictChanged || logChanged || !!insnsDelta || !!statesDelta;
      const declared = sc.expect_by_kernel[patched]?.[st.id] !== undefined;
      // What else the kernel printed meanwhile (a scheduler's rounds, a message's timing) is
      // not a verdict: only a scenario that asks for exact logs counts it.
      const logOnly = logChanged && !verdictChanged && !insnsDelta && !statesDelta && st.kind === 'dmesg' && !sc.exact_logs && P.outcome === 'pass';
      const flaky = [b, p].some((r) => r && isFlaky(r));
      steps.push({
        file, scenario: sc.name, step: st.id, base: B, patched: P, changed, verdictChanged, logChanged,
        ...(logOnly ? { logOnly } : {}), ...(flaky ? { flaky } : {}),
        ...(logChanged ? { logDiff: logDiff(base, patched, asText(bl), asText(pl)) } : {}),
        ...(insnsDelta !== undefined ? { insnsDelta } : {}),
        ...(statesDelta !== undefined ? { statesDelta } : {}),
        expected: changed && !logOnly ? declared && (P.outcome === 'pass' || P.outcome === 'skip') : P.outcome !== 'fail' && P.outcome !== 'error',
      });
    }
  }
  const programs = scenarios.some((s) => s.selftests.length) ? comparePrograms(run, scenarios, base, patched, relFile, thresholdPct) : undefined;
  const stepPrograms = run.scenarios.some((r) => r.steps.some((s) => s.programs?.length)) ? compareStepPrograms(run, scenarios, base, patched, relFile, thresholdPct) : undefined;
  const tests = scenarios.some((s) => s.runner) ? compareRunnerTests(run, scenarios, base, patched, relFile) : undefined;
  const unexpected = steps.filter((s) => !s.expected).length + (programs?.rows.filter((r) => !r.expected).length ?? 0) + (tests?.rows.filter((r) => !r.expected).length ?? 0);
  const kernel = (name: string) => run.kernels?.find((k) => k.name === name);
  const [bk, pk] = [kernel(base), kernel(patched)];
  return { base, patched, ...(bk || pk ? { kernels: { ...(bk ? { base: bk } : {}), ...(pk ? { patched: pk } : {}) } } : {}), steps, ...(programs ? { programs } : {}), ...(stepPrograms ? { stepPrograms } : {}), ...(tests ? { tests } : {}), unexpected };
}

const stat = (b?: number, p?: number, d?: number) => (b === undefined || p === undefined ? '-' : `${b}/${p}/${d! >= 0 ? '+' : ''}${d}`);
const NAME_WIDTH = 60;
const VERDICT_WIDTH = 32;

/** A step's change, as both reports name it: "same", or what changed and whether it was declared. */
export function changeLabel(s: StepComparison): string {
  if (!s.changed) return s.expected ? 'same' : 'same, patched FAILS';
  const what = [s.verdictChanged && 'verdict', s.logChanged && 'log', (s.insnsDelta || s.statesDelta) && 'stats'].filter(Boolean).join('+');
  const flaky = s.flaky ? ', flaky' : '';
  if (s.logOnly) return `kernel log only (not counted${flaky})`;
  return `${what} ${s.expected ? '(expected)' : 'UNEXPECTED'}${flaky}`;
}

/** The veristat-like table, then each changed log's diff under the name of its row. */
export function formatComparison(c: Comparison): string {
  const name = (s: StepComparison) => keepEnd(`${s.file.replace(/^scenarios\//, '')} ${s.step}`, NAME_WIDTH);
  const rows = c.steps.map((s) => {
    const what = changeLabel(s);
    return [name(s), keepStart(s.base.verdict, VERDICT_WIDTH), keepStart(s.patched.verdict, VERDICT_WIDTH), stat(s.base.insns, s.patched.insns, s.insnsDelta), stat(s.base.states, s.patched.states, s.statesDelta), what];
  });
  const lines = [textTable(['scenario / step', `base ${c.base}`, `patched ${c.patched}`, 'insns b/p/Δ', 'states b/p/Δ', 'change'], rows).trimEnd()];
  const diffs = c.steps.filter((s) => s.logDiff);
  if (diffs.length) {
    lines.push('', 'log changes:');
    for (const s of diffs) lines.push(`  ${name(s)}:`, ...s.logDiff!.split('\n').map((l) => `    ${l}`));
  }
  const changed = c.steps.filter((s) => s.changed).length;
  if (c.stepPrograms) lines.push('', formatProgramsComparison(c.stepPrograms, c.base, c.patched, 'load step programs').trimEnd());
  if (c.programs) lines.push('', formatProgramsComparison(c.programs, c.base, c.patched).trimEnd());
  if (c.tests) lines.push('', formatTestsComparison(c.tests, c.base, c.patched).trimEnd());
  const parts = [
    ...(c.steps.length || (!c.programs && !c.tests) ? [`${c.steps.length} steps compared: ${changed} changed`] : []),
    ...(c.stepPrograms ? [`${c.stepPrograms.rows.length + c.stepPrograms.unchanged} load step programs: ${c.stepPrograms.rows.length} with stats deltas`] : []),
    ...(c.programs ? [`${c.programs.rows.length + c.programs.unchanged} program runs compared: ${c.programs.rows.filter((r) => r.changes.length).length} changed`] : []),
    ...(c.tests ? [`${c.tests.rows.length + c.tests.unchanged} runner tests compared: ${c.tests.rows.length} changed`] : []),
  ];
  const ran = (label: string, k?: RunKernel) => k && `${label} ${k.name}: ${[k.release, k.arch, k.origin].filter(Boolean).join(', ')}`;
  const kernels = [ran('base', c.kernels?.base), ran('patched', c.kernels?.patched)].filter((l): l is string => !!l);
  if (kernels.length) lines.push('', ...kernels);
  lines.push('', `${parts.join('; ')}, ${c.unexpected} unexpected`);
  return `${lines.join('\n')}\n`;
}
