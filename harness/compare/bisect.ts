// bisect: build the base kernel plus each prefix of a patch series (incrementally, in the
// kept O= dir), run one scenario on each, and name the first patch after which a step's
// verdict differs from the base's.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { BadInputError } from '../../common/errors.js';
import { interruptedBy } from '../../common/interrupt.js';
import { buildPlan } from '../plan.js';
import type { Reporter } from '../results/reporter.js';
import { runPlan } from '../runner/run.js';
import { ensureCacheWritable } from '../../common/writable-dir.js';
import { firstSubject, patchFiles } from '../../kernels/build/patches.js';
import { stepVerdict } from './compare.js';
import type { ProgramResult, RunnerTest } from '../results/model.js';
import { INPUT_LIMITS, readUserFile } from '../../common/input-file.js';
import { backendFor } from '../../vm/backends/index.js';

export interface BisectPoint {
  /** Patches applied on top of the base (0 = the base itself). */
  applied: number;
  patch?: string;
  subject?: string;
  kernel: string;
  /** step id, or selftest program "FILE/PROG" (" @unpriv" for that mode) -> verdict */
  verdicts: Record<string, string>;
}

export interface BisectResult {
  base: string;
  scenario: string;
  step?: string;
  /** --program FILE/PROG: its modes' verdicts are the ones followed. */
  program?: string;
  /** --test TEST[/SUBTEST] of a runner scenario: that test's (and its subtests') verdicts. */
  test?: string;
  points: BisectPoint[];
  /** The first point whose verdicts differ from the base's (for `step`, or any step). */
  first?: BisectPoint;
}


/** The series' patches in order; cover letters (no diff) are not points of the bisection. */
export function bisectPatches(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new BadInputError(`--series ${dir}: not a directory`, { hint: 'pass a directory of git format-patch files (split an mbox with git mailsplit)' });
  }
  const text = (f: string) => readUserFile(f, INPUT_LIMITS.patch).toString('utf8');
  const files = patchFiles([dir]).filter((f) => /^diff --git /m.test(text(f)));
  if (!files.length) throw new BadInputError(`${dir}: no patches with a diff`, { hint: 'point --series at a directory of git format-patch files' });
  for (const f of files) {
    if ((text(f).match(/^From [0-9a-f]{40} /gm) ?? []).length > 1) {
      throw new BadInputError(`${relative(process.cwd(), f)}: holds several patches; bisect needs one patch per file`, { hint: 'split it with `git mailsplit` or `b4 am -o DIR` and pass that directory' });
    }
  }
  return files;
}

/** A selftest program's verdict as bisect follows it: the load, the retval, and whether its tags were met. */
function programVerdict(p: ProgramResult): string {
  if (p.outcome === 'skip') return 'skipped';
  const load = p.loaded === undefined ? 'not loaded' : p.loaded ? 'success' : `failure ${p.errno ?? ''}`.trim();
  return `${load}${p.retval !== undefined ? ` ret=${p.retval}` : ''}${p.outcome === 'fail' ? ' (FAIL)' : ''}`;
}

export interface BisectTarget {
  step?: string;
  program?: string;
  test?: string;
}

/** A runner test's key among a point's verdicts: "test_progs bpf_cookie/kprobe". */
const testKey = (t: RunnerTest) => `${t.runner} ${t.test}${t.subtest ? `/${t.subtest}` : ''}`;

/** prepareOut makes the artifacts directory; it is called once the inputs are known good. */
export async function bisect(base: string, series: string, scenarioFile: string, target: BisectTarget, prepareOut: () => string, reporter: Reporter): Promise<BisectResult> {
  const { step, program, test } = target;
  const patches = bisectPatches(series);
  const work = mkdtempSync(join(tmpdir(), 'bpf-harness-bisect-'));
  const points: BisectPoint[] = [];
  let outDir = '';
  try {
    for (let i = 0; i <= patches.length && !interruptedBy(); i++) {
      // A recipe per prefix, extending the base; builds share the base's O= dir, so each is incremental.
      let kernel = base;
      if (i > 0) {
        kernel = join(work, `prefix-${i}.yaml`);
        writeFileSync(kernel, `name: bisect-${i}\nextends: ${base}\npatches: [${patches.slice(0, i).map((p) => JSON.stringify(p)).join(', ')}]\n`);
      }
      const entries = buildPlan([scenarioFile], { kernels: [kernel] });
      const sc = entries[0]!.scenario;
      if (test && !sc.runner) throw new BadInputError(`--test ${test}: ${scenarioFile} runs none of the tree's runners`, { hint: 'name a scenario with runner:, or follow a program with --program' });
      // Only the followed test runs at each point: the runner's other tests cost time and say nothing here.
      if (test && sc.runner) sc.runner.allow = [test];
      if (step && !sc.steps.some((s) => s.id === step)) {
        throw new BadInputError(`--step ${step}: ${scenarioFile} has no such step`, { hint: `steps: ${sc.steps.map((s) => s.id).join(', ')}` });
      }
      // Only now that the series, scenario and step are known good.
      if (i === 0) {
        ensureCacheWritable();
        outDir = prepareOut();
      }
      const run = await runPlan(entries, { outDir: join(outDir, `prefix-${i}`), target: backendFor('qemu', {}), jobs: 1, update: false, reporter });
      const r = run.scenarios[0];
      if (program && !sc.selftests.length) {
        throw new BadInputError(`--program ${program}: ${scenarioFile} has no selftests`, { hint: 'name a scenario with selftests:, or follow a step with --step' });
      }
      // A prefix whose kernel does not boot gives every step and program that verdict, so bisect finds the patch that broke boot.
      const booted = r?.bootFailed === undefined;
      const verdicts = Object.fromEntries([
        ...sc.steps.map((s) => [s.id, stepVerdict(r?.steps.find((x) => x.id === s.id), r)]),
        ...(booted ? [...(r?.programs ?? []).map((p) => [`${p.file}/${p.prog}${p.mode === 'unpriv' ? ' @unpriv' : ''}`, programVerdict(p)]),
          ...(r?.tests ?? []).map((t) => [testKey(t), t.outcome])]
          : Object.keys(points[0]?.verdicts ?? {}).filter((k) => !sc.steps.some((s) => s.id === k)).map((k) => [k, `boot failed: ${r!.bootFailed}`])),
      ]);
      points.push({ applied: i, ...(i > 0 ? { patch: basename(patches[i - 1]!), subject: firstSubject(patches[i - 1]!) } : {}), kernel: r?.kernel ?? kernel, verdicts });
    }
  } finally {
    // The prefix recipes are needed only while their kernels are built.
    rmSync(work, { recursive: true, force: true });
  }
  const followed = followedKeys(points, target);
  if (test && !followed.length) {
    throw new BadInputError(`--test ${test}: the runner reported no such test on any kernel of the bisection`, { hint: 'name it TEST or TEST/SUBTEST as the runner prints it (bpf-harness list shows a scenario\'s tests)' });
  }
  if (program && !followed.length) {
    throw new BadInputError(`--program ${program}: no such program in ${scenarioFile} on any kernel of the bisection`, { hint: 'name it FILE/PROG, e.g. verifier_and.c/invalid_and_of_negative_number' });
  }
  const differs = (p: BisectPoint) => followed.some((id) => p.verdicts[id] !== points[0]!.verdicts[id]);
  const first = points.slice(1).find(differs);
  return { base, scenario: scenarioFile, ...(step ? { step } : {}), ...(program ? { program } : {}), ...(test ? { test } : {}), points, ...(first ? { first } : {}) };
}

/** What the bisection follows: the step, the program's modes, or every step and program seen at any point. */
function followedKeys(points: BisectPoint[], t: BisectTarget): string[] {
  const all = [...new Set(points.flatMap((p) => Object.keys(p.verdicts)))];
  if (t.step) return [t.step];
  if (t.program) return all.filter((k) => k === t.program || k === `${t.program} @unpriv`);
  // A test's key is "RUNNER TEST[/SUBTEST]": a test named whole follows its subtests too.
  if (t.test) return all.filter((k) => { const name = k.slice(k.indexOf(' ') + 1); return name === t.test || (!t.test!.includes('/') && name.startsWith(`${t.test}/`)); });
  return all;
}

export function formatBisect(b: BisectResult): string {
  const ids = followedKeys(b.points, b);
  const lines = [`bisect ${b.scenario} over ${b.points.length - 1} patch(es) on ${b.base}`];
  for (const p of b.points) {
    // A whole corpus does not fit on a line: then only what differs from the base is named.
    const shown = ids.length <= 6 ? ids.map((id) => `${id}: ${p.verdicts[id] ?? 'absent'}`).join(', ')
      : (() => {
        const diff = ids.filter((id) => p.verdicts[id] !== b.points[0]!.verdicts[id]);
        return `${diff.length} of ${ids.length} differ from the base${diff.length ? `: ${diff.slice(0, 5).map((id) => `${id}: ${p.verdicts[id] ?? 'absent'}`).join(', ')}${diff.length > 5 ? ', ...' : ''}` : ''}`;
      })();
    lines.push(`  ${p.applied === 0 ? 'base' : `+${p.applied}`.padEnd(4)}  ${shown}${p.subject ? `   (${p.subject})` : ''}`);
  }
  lines.push(b.first ? `first patch that changes ${b.step ?? b.program ?? b.test ?? 'the outcome'}: ${b.first.patch} "${b.first.subject}"` : 'no patch in the series changes it');
  return `${lines.join('\n')}\n`;
}
