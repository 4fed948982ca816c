// The plan: scenario files x kernels, filtered and sharded. Everything here is checked
// before any kernel is fetched or guest booted, so bad input changes nothing.
import { statSync, existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { globSync } from 'glob';
import { isRecipeFile, knownRecipes, planKernel, useRecipesOf, type PlannedKernel } from '../kernels/resolve.js';
import { BadInputError } from '../common/errors.js';
import { loadScenario } from './scenario/load.js';
import type { Scenario } from './scenario/types.js';
import { LINEAR_REGEX_HINT, linearRegex, type LinearRegex } from '../common/linear-regex.js';

export interface PlanEntry {
  scenario: Scenario;
  /** The file relative to the working directory, as reports show it. */
  relFile: string;
  /** Resolved once, here: results and comparisons use its name, the backend opens its ref. */
  kernel: PlannedKernel;
  /**
   * --grep that did not match a selftests scenario itself: only its programs whose
   * FILE/PROG or description matches run (known once the files are compiled).
   */
  programGrep?: LinearRegex;
  /** --exclude that did not match a selftests scenario itself: its programs whose FILE/PROG or description matches are left out. */
  programExclude?: LinearRegex;
}

export interface PlanOptions {
  /** --kernel: replaces every scenario's own kernels: list. */
  kernels?: string[];
  grep?: string;
  /** --exclude: scenarios whose name, file or a tag matches are left out. */
  exclude?: string;
  /** --tag (repeatable): only scenarios carrying one of these tags, exactly. */
  tags?: string[];
  /** --shard I/N, 1-based */
  shard?: { index: number; count: number };
  /**
   * Check the scenarios' kernels: (without --kernel) against the recipes they can see:
   * those beside them (kernels/resolve.ts, recipeDirs) and the shipped ones.
   */
  checkKernels?: boolean;
  /**
   * Whether the kernels are recipes (QEMU guests; the default) or names of what a host
   * runs; one per --kernel where they differ (compare: each side's own backend).
   */
  kernelsAreRecipes?: boolean | boolean[];
}

/** Folder by folder, each sorted by name: a folder's files and subfolders in one order. */
function bySegments(a: string, b: string): number {
  const [x, y] = [a.split('/'), b.split('/')];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length - y.length;
}

/**
 * Scenario files under the given paths: directories are searched for *.yaml / *.yml,
 * leaving out kernel recipes kept among the scenarios (a file named on the command line
 * is always taken).
 */
export function scenarioFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new BadInputError(`${p}: no such file or directory`, { hint: 'pass scenario files or directories holding them' });
    if (!statSync(p).isDirectory()) {
      if (/\.ya?ml$/.test(p)) out.push(resolve(p));
      continue;
    }
    const found = globSync('**/*.{yaml,yml}', { cwd: p, absolute: true, nodir: true, ignore: ['**/node_modules/**'], dot: false });
    out.push(...found.sort(bySegments).filter((f) => !isRecipeFile(f)));
  }
  return [...new Set(out)];
}

function regexFlag(flag: string, source: string | undefined): LinearRegex | undefined {
  if (source === undefined) return undefined;
  const r = linearRegex(source);
  if (r instanceof Error) throw new BadInputError(`${flag} ${source}: ${r.message}`, { hint: `pass a regular expression; ${LINEAR_REGEX_HINT}` });
  return r;
}

/** Scenarios tagged so run only when asked for, by --tag full or by their file's name (the whole of test_progs takes hours under TCG). */
export const ON_REQUEST_TAG = 'full';

export function buildPlan(paths: string[], opts: PlanOptions): PlanEntry[] {
  const files = scenarioFiles(paths);
  if (files.length === 0) throw new BadInputError(`no scenario files (*.yaml) under ${paths.join(', ')}`);
  useRecipesOf(files);
  const problems: string[] = [];
  const scenarios: Scenario[] = [];
  // The scenarios' own kernels: are only used, and so only checked, without --kernel.
  const knownKernels = opts.kernels?.length || !opts.checkKernels ? undefined : knownRecipes();
  for (const f of files) {
    try {
      scenarios.push(loadScenario(f, { knownKernels }));
    } catch (e) {
      if (e instanceof BadInputError) problems.push(e.message);
      else throw e;
    }
  }
  if (problems.length) throw new BadInputError(problems.join('\n'));
  const grep = regexFlag('--grep', opts.grep);
  const exclude = regexFlag('--exclude', opts.exclude);
  const entries: PlanEntry[] = [];
  const planned = new Map<string, PlannedKernel>();
  const isRecipe = (i: number) => (Array.isArray(opts.kernelsAreRecipes) ? opts.kernelsAreRecipes[i] : opts.kernelsAreRecipes) ?? true;
  // Resolved here, once the recipes beside the scenarios are known by name.
  const kernelOf = (ref: string, i: number) => planned.get(ref) ?? planned.set(ref, planKernel(ref, isRecipe(i))).get(ref)!;
  for (const s of scenarios) {
    const relFile = relative(process.cwd(), s.file) || s.file;
    const matches = (re: LinearRegex) => re.test(s.name) || re.test(relFile) || s.tags.some((t) => re.test(t));
    if (exclude && matches(exclude)) continue;
    if (opts.tags?.length && !s.tags.some((t) => opts.tags!.includes(t))) continue;
    if (s.tags.includes(ON_REQUEST_TAG) && !opts.tags?.includes(ON_REQUEST_TAG) && !paths.some((p) => resolve(p) === s.file)) continue;
    const whole = !grep || matches(grep);
    if (!whole && !s.selftests.length) continue;
    const programGrep = whole ? undefined : grep;
    const programExclude = s.selftests.length ? exclude : undefined;
    for (const kernel of (opts.kernels?.length ? opts.kernels : s.kernels).map(kernelOf)) {
      entries.push({ scenario: s, relFile, kernel, ...(programGrep ? { programGrep } : {}), ...(programExclude ? { programExclude } : {}) });
    }
  }
  if (!entries.length) {
    const by = [opts.grep !== undefined && `--grep ${opts.grep}`, opts.exclude !== undefined && `--exclude ${opts.exclude}`, opts.tags?.length && `--tag ${opts.tags.join(', ')}`].filter(Boolean);
    throw new BadInputError(`nothing matched: ${scenarios.length} scenario file(s) under ${paths.join(', ')}${by.length ? `, none selected by ${by.join(' and ')}` : ''}`,
      { hint: 'bpf-harness list PATH shows what a selection holds' });
  }
  if (!opts.shard) return entries;
  const { index, count } = opts.shard;
  return entries.filter((_, i) => i % count === index - 1);
}
