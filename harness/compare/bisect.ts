// bisect: build the base kernel plus each prefix of a patch series (incrementally, in the
// kept O= dir), run one scenario on each, and name the first patch after which a step's
// verdict differs from the base's.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { BadInputError } from '../errors.js';
import { buildPlan } from '../plan.js';
import type { Reporter } from '../reporters/reporter.js';
import { runPlan } from '../runner/run.js';
import { ensureCacheWritable, ensureOutDirWritable } from '../writable-dir.js';
import { firstSubject, patchFiles } from '../../kernels/build/patches.js';
import { verdictOf } from './compare.js';

export interface BisectPoint {
  /** Patches applied on top of the base (0 = the base itself). */
  applied: number;
  patch?: string;
  subject?: string;
  kernel: string;
  /** step id -> verdict */
  verdicts: Record<string, string>;
}

export interface BisectResult {
  base: string;
  scenario: string;
  step?: string;
  points: BisectPoint[];
  /** The first point whose verdicts differ from the base's (for `step`, or any step). */
  first?: BisectPoint;
}


/** The series' patches in order; cover letters (no diff) are not points of the bisection. */
export function bisectPatches(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new BadInputError(`--series ${dir}: not a directory`, { hint: 'pass a directory of git format-patch files (split an mbox with git mailsplit)' });
  }
  const files = patchFiles([dir]).filter((f) => /^diff --git /m.test(readFileSync(f, 'utf8')));
  if (!files.length) throw new BadInputError(`${dir}: no patches with a diff`, { hint: 'point --series at a directory of git format-patch files' });
  for (const f of files) {
    if ((readFileSync(f, 'utf8').match(/^From [0-9a-f]{40} /gm) ?? []).length > 1) {
      throw new BadInputError(`${relative(process.cwd(), f)}: holds several patches; bisect needs one patch per file`, { hint: 'split it with `git mailsplit` or `b4 am -o DIR` and pass that directory' });
    }
  }
  return files;
}

export async function bisect(base: string, series: string, scenarioFile: string, step: string | undefined, outDir: string, reporter: Reporter): Promise<BisectResult> {
  const patches = bisectPatches(series);
  const work = mkdtempSync(join(tmpdir(), 'bpf-harness-bisect-'));
  const points: BisectPoint[] = [];
  for (let i = 0; i <= patches.length; i++) {
    // A recipe per prefix, extending the base; builds share the base's O= dir, so each is incremental.
    let kernel = base;
    if (i > 0) {
      kernel = join(work, `prefix-${i}.yaml`);
      writeFileSync(kernel, `name: bisect-${i}\nextends: ${base}\npatches: [${patches.slice(0, i).map((p) => JSON.stringify(p)).join(', ')}]\n`);
    }
    const entries = buildPlan([scenarioFile], { kernels: [kernel] });
    const sc = entries[0]!.scenario;
    if (step && !sc.steps.some((s) => s.id === step)) {
      throw new BadInputError(`--step ${step}: ${scenarioFile} has no such step`, { hint: `steps: ${sc.steps.map((s) => s.id).join(', ')}` });
    }
    // Only now that the series, scenario and step are known good.
    if (i === 0) {
      ensureCacheWritable();
      ensureOutDirWritable(outDir);
    }
    const run = await runPlan(entries, { outDir: join(outDir, `prefix-${i}`), jobs: 1, accel: 'auto', update: false, reporter });
    const r = run.scenarios[0];
    const verdicts = Object.fromEntries(sc.steps.map((s) => [s.id, verdictOf(r?.steps.find((x) => x.id === s.id))]));
    points.push({ applied: i, ...(i > 0 ? { patch: basename(patches[i - 1]!), subject: firstSubject(patches[i - 1]!) } : {}), kernel: r?.kernel ?? kernel, verdicts });
  }
  const differs = (p: BisectPoint) => (step ? [step] : Object.keys(points[0]!.verdicts)).some((id) => p.verdicts[id] !== points[0]!.verdicts[id]);
  const first = points.slice(1).find(differs);
  return { base, scenario: scenarioFile, ...(step ? { step } : {}), points, ...(first ? { first } : {}) };
}

export function formatBisect(b: BisectResult): string {
  const ids = b.step ? [b.step] : Object.keys(b.points[0]?.verdicts ?? {});
  const lines = [`bisect ${b.scenario} over ${b.points.length - 1} patch(es) on ${b.base}`];
  for (const p of b.points) {
    lines.push(`  ${p.applied === 0 ? 'base' : `+${p.applied}`.padEnd(4)}  ${ids.map((id) => `${id}: ${p.verdicts[id]}`).join(', ')}${p.subject ? `   (${p.subject})` : ''}`);
  }
  lines.push(b.first ? `first patch that changes ${b.step ?? 'the outcome'}: ${b.first.patch} "${b.first.subject}"` : 'no patch in the series changes it');
  return `${lines.join('\n')}\n`;
}
