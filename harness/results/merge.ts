// Join the results of sharded runs (`run --shard I/N`) into one RunResult.
//
// Artifacts: a step's artifacts are relative to its run's outDir (model.ts), and stay so
// in the merged result, relative to the merged outDir. Each input's artifacts are found
// beside its results.json, not at the outDir recorded in it: in CI that names a
// directory on the machine that ran the shard, and the files were downloaded elsewhere.
// So the merged results.json, written into its outDir, can itself be merged again.
import path from 'node:path';
import { BadInputError, displayPath, type Problem } from '../../common/errors.js';
import type { RunKernel, RunResult, ScenarioResult } from './model.js';

export interface MergeInput {
  /** The results.json the run was read from. */
  file: string;
  run: RunResult;
}

export interface MergeOptions {
  /** The merged outDir (report merge --out); default: the deepest directory holding every input. */
  outDir?: string;
}

const OVERLAP_HINT = 'merge the shards of one matrix: the same N and kernels in every job, each I from 1 to N once';

/**
 * Scenarios of every input, sorted by file, kernel and name; durations summed (machine
 * time, not wall time); the earliest start; target and accel kept when all agree, else
 * their distinct values joined with ",". A (file, kernel) in two inputs means the shards
 * overlap: a BadInputError naming both files.
 */
export function mergeRuns(inputs: MergeInput[], opts: MergeOptions = {}): RunResult {
  // The CLI requires at least one file.
  if (!inputs.length) throw new Error('mergeRuns: no inputs');
  const dirs = inputs.map((i) => path.dirname(path.resolve(i.file)));
  const outDir = opts.outDir ? path.resolve(opts.outDir) : commonDir(dirs);
  checkOverlap(inputs);

  const scenarios = inputs.flatMap((input, n) => input.run.scenarios.map((s) => rebase(s, dirs[n]!, outDir)));
  scenarios.sort((a, b) => cmp(a.file, b.file) || cmp(a.kernel, b.kernel) || cmp(a.name, b.name));
  const runs = inputs.map((i) => i.run);
  return {
    startedAt: runs.reduce((a, b) => (Date.parse(b.startedAt) < Date.parse(a.startedAt) ? b : a)).startedAt,
    durationMs: runs.reduce((t, r) => t + r.durationMs, 0),
    target: joinDistinct(runs.map((r) => r.target))!,
    accel: joinDistinct(runs.map((r) => r.accel)),
    ...kernelsOf(runs),
    scenarios,
    outDir,
  };
}

/** Each kernel once, by name, as the first shard that knew most of it says (a shard that opened no pool knows no release). */
function kernelsOf(runs: RunResult[]): Pick<RunResult, 'kernels'> {
  const byName = new Map<string, RunKernel>();
  for (const k of runs.flatMap((r) => r.kernels ?? [])) {
    const had = byName.get(k.name);
    if (!had || (!had.release && k.release)) byName.set(k.name, k);
  }
  return byName.size ? { kernels: [...byName.values()] } : {};
}

// Code-unit order, not localeCompare: the same on every machine.
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function joinDistinct(values: (string | undefined)[]): string | undefined {
  const set = [...new Set(values.filter((v): v is string => v !== undefined))].sort(cmp);
  return set.length ? set.join(',') : undefined;
}

/** Overlaps reported once per pair of files, with the first shared (file, kernel). */
function checkOverlap(inputs: MergeInput[]): void {
  const owner = new Map<string, string>();
  const pairs = new Map<string, { a: string; b: string; first: ScenarioResult; count: number }>();
  for (const { file, run } of inputs) {
    const mine = new Set<string>();
    for (const s of run.scenarios) {
      const key = `${s.file}\0${s.kernel}`;
      const other = owner.get(key);
      // Within one input a repeat is the run's own doing (a kernel given twice), not an overlap.
      if (other === undefined || mine.has(key)) {
        owner.set(key, file);
        mine.add(key);
        continue;
      }
      const pair = `${other}\0${file}`;
      const seen = pairs.get(pair);
      if (seen) seen.count++;
      else pairs.set(pair, { a: other, b: file, first: s, count: 1 });
    }
  }
  if (!pairs.size) return;
  const problems: Problem[] = [...pairs.values()].map(({ a, b, first, count }) =>
    path.resolve(a) === path.resolve(b)
      ? { file: b, line: 0, col: 0, message: 'given twice', hint: 'pass each results.json once' }
      : {
          file: b, line: 0, col: 0, hint: OVERLAP_HINT,
          message: `${first.file} [${first.kernel}]${count > 1 ? ` and ${count - 1} more` : ''} also in ${displayPath(a)}: the shards overlap`,
        });
  throw BadInputError.fromProblems(problems);
}

function rebase(s: ScenarioResult, fromDir: string, outDir: string): ScenarioResult {
  const move = (a: string) => path.relative(outDir, path.resolve(fromDir, a)) || '.';
  return {
    ...s,
    steps: s.steps.map((st) => ({ ...st, artifacts: st.artifacts.map(move) })),
    ...(s.programs ? { programs: s.programs.map((p) => (p.artifact ? { ...p, artifact: move(p.artifact) } : p)) } : {}),
    ...(s.crash ? { crash: { ...s.crash, artifact: move(s.crash.artifact) } } : {}),
  };
}

/** The deepest directory that holds all of the given absolute directories. */
function commonDir(dirs: string[]): string {
  const split = dirs.map((d) => d.split(path.sep));
  const common: string[] = [];
  for (let n = 0; split.every((parts) => n < parts.length && parts[n] === split[0]![n]); n++) common.push(split[0]![n]!);
  return common.join(path.sep) || path.sep;
}
