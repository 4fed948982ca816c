// The plan: scenario files x kernels, filtered and sharded. Everything here is checked
// before any kernel is fetched or guest booted, so bad input changes nothing.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { BadInputError } from '../common/errors.js';
import { loadScenario } from './scenario/load.js';
import type { Scenario } from './scenario/types.js';

export interface PlanEntry {
  scenario: Scenario;
  /** The file relative to the working directory, as reports show it. */
  relFile: string;
  kernel: string;
  /**
   * --grep that did not match a selftests scenario itself: only its programs whose
   * FILE/PROG or description matches run (known once the files are compiled).
   */
  programGrep?: RegExp;
}

export interface PlanOptions {
  /** --kernel: replaces every scenario's own kernels: list. */
  kernels?: string[];
  grep?: string;
  /** --shard I/N, 1-based */
  shard?: { index: number; count: number };
  /** Recipe names; without --kernel, a scenario's kernels: must name one of them. */
  knownKernels?: string[];
}

/** Scenario files under the given paths (directories searched for *.yaml / *.yml). */
export function scenarioFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) {
        if (e.startsWith('.') || e === 'node_modules') continue;
        walk(join(p, e));
      }
    } else if (/\.ya?ml$/.test(p)) out.push(resolve(p));
  };
  for (const p of paths) {
    if (!existsSync(p)) throw new BadInputError(`${p}: no such file or directory`, { hint: 'pass scenario files or directories holding them' });
    walk(p);
  }
  return [...new Set(out)];
}

export function buildPlan(paths: string[], opts: PlanOptions): PlanEntry[] {
  const files = scenarioFiles(paths);
  if (files.length === 0) throw new BadInputError(`no scenario files (*.yaml) under ${paths.join(', ')}`);
  const problems: string[] = [];
  const scenarios: Scenario[] = [];
  // The scenarios' own kernels: are only used, and so only checked, without --kernel.
  const knownKernels = opts.kernels?.length ? undefined : opts.knownKernels;
  for (const f of files) {
    try {
      scenarios.push(loadScenario(f, { knownKernels }));
    } catch (e) {
      if (e instanceof BadInputError) problems.push(e.message);
      else throw e;
    }
  }
  if (problems.length) throw new BadInputError(problems.join('\n'));
  let grep: RegExp | undefined;
  try {
    grep = opts.grep ? new RegExp(opts.grep) : undefined;
  } catch (e) {
    throw new BadInputError(`--grep ${opts.grep}: ${(e as Error).message}`, { hint: 'pass a JavaScript regular expression' });
  }
  const entries: PlanEntry[] = [];
  for (const s of scenarios) {
    const relFile = relative(process.cwd(), s.file) || s.file;
    const whole = !grep || grep.test(s.name) || grep.test(relFile) || s.tags.some((t) => grep!.test(t));
    if (!whole && !s.selftests.length) continue;
    const programGrep = whole ? undefined : grep;
    for (const kernel of opts.kernels?.length ? opts.kernels : s.kernels) entries.push({ scenario: s, relFile, kernel, ...(programGrep ? { programGrep } : {}) });
  }
  if (!opts.shard) return entries;
  const { index, count } = opts.shard;
  return entries.filter((_, i) => i % count === index - 1);
}
