// bpf-harness list [PATH...] and bpf-harness validate [PATH...]: the plan and the files,
// read and checked without fetching, building or booting anything.
import { relative } from 'node:path';
import { BadInputError, displayPath } from '../../../common/errors.js';
import { buildPlan, scenarioFiles } from '../../plan.js';
import { loadScenario } from '../../scenario/load.js';
import { foundRecipes, knownRecipes, unreadRecipeFiles, useRecipesOf } from '../../../kernels/resolve.js';
import { resolveRecipe } from '../../../kernels/recipe/recipe.js';
import { EXIT } from '../exit-codes.js';
import { catalogOf, type Catalog, type ListedMode } from '../../selftests/catalog.js';
import { runnerCatalog, type RunnerCatalog } from '../../runners/catalog.js';

export interface ListFlags {
  kernel: string[];
  grep?: string;
  exclude?: string;
  tag: string[];
  json?: boolean;
}

const describeSource = (s: string | { tree: string }) => (typeof s === 'string' ? relative(process.cwd(), s) || s : `{tree: ${s.tree}}`);

/**
 * What `run` with the same paths and flags would run: a line per scenario and kernel.
 * Selftests scenarios also show their programs, with --grep and --exclude applied as run
 * applies them, read from the objects a run compiled for that kernel; where none did yet,
 * list says so (it compiles nothing). test_progs scenarios show their tests, numbered
 * as the runner numbers them, with those a run reports without running (denied, or left
 * out of the build).
 */
export async function listCommand(paths: string[], flags: ListFlags): Promise<number> {
  const entries = buildPlan(paths.length ? paths : ['scenarios'], {
    kernels: flags.kernel, grep: flags.grep, exclude: flags.exclude, tags: flags.tag, checkKernels: true,
  });
  // One after another: entries share trees and objects, whose cache files are made on first read.
  const catalogs: (Catalog | undefined)[] = [];
  const runnerCatalogs: (RunnerCatalog | undefined)[] = [];
  for (const e of entries) {
    catalogs.push(e.scenario.selftests.length ? await catalogOf(e) : undefined);
    runnerCatalogs.push(e.scenario.runner ? await runnerCatalog(e) : undefined);
  }
  if (flags.json) {
    const plan = entries.map((e, i) => ({
      file: e.relFile, name: e.scenario.name, kernel: e.kernel.name, tags: e.scenario.tags,
      ...(e.scenario.skip !== undefined ? { skip: e.scenario.skip } : {}),
      ...(e.scenario.selftests.length ? { selftests: e.scenario.selftests.map(describeSource) } : {}),
      ...(e.programGrep ? { programGrep: e.programGrep.source } : {}),
      ...(e.programExclude ? { programExclude: e.programExclude.source } : {}),
      ...catalogs[i],
      ...(e.scenario.runner ? { runner: { name: e.scenario.runner.name, ...runnerCatalogs[i] } } : {}),
    }));
    process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    return EXIT.ok;
  }
  const w = Math.min(60, Math.max(...entries.map((e) => e.relFile.length)));
  const kw = Math.max(...entries.map((e) => e.kernel.name.length)) + 2;
  const out: string[] = [];
  let programs = 0;
  entries.forEach((e, i) => {
    const skip = e.scenario.skip !== undefined ? '  (skips: skip: in the file)' : '';
    out.push(`${e.relFile.padEnd(w)}  ${`[${e.kernel.name}]`.padEnd(kw)}  ${e.scenario.name}${skip}`);
    const rc = runnerCatalogs[i];
    if (rc) {
      out.push(`  runner: ${e.scenario.runner!.name}`);
      if ('unknown' in rc) out.push(`  tests: not known (${rc.unknown})`);
      else for (const t of rc.tests) out.push(`    ${t.number.padEnd(6)} ${t.test}${t.subtest ? `/${t.subtest}` : ''}${t.not ? `  (${t.not})` : ''}`);
    }
    const c = catalogs[i];
    if (!c) return;
    const only = `${e.programGrep ? `, programs matching ${e.programGrep.source}` : ''}${e.programExclude ? `, programs not matching ${e.programExclude.source}` : ''}`;
    out.push(`  selftests: ${e.scenario.selftests.map(describeSource).join(', ')}${only}`);
    if ('unknown' in c) {
      out.push(`  programs: not known (${c.unknown})`);
      return;
    }
    programs += c.programs.length;
    if (!c.programs.length && !c.uncompiled.length) out.push('  programs: none selected');
    for (const p of c.programs) out.push(`    ${p.id}  ${p.modes.map(modeText).join(', ')}${p.description ? `  "${p.description}"` : ''}`);
    if (c.uncompiled.length) {
      out.push(`  programs of ${c.uncompiled.length} file(s) not known: no run has compiled them for ${e.kernel.name} yet (${c.uncompiled.slice(0, 5).join(', ')}${c.uncompiled.length > 5 ? ', ...' : ''})`);
    }
  });
  const files = new Set(entries.map((e) => e.relFile)).size;
  const kernels = [...new Set(entries.map((e) => e.kernel.name))];
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  out.push(`${n(entries.length, 'run')}: ${n(files, 'scenario file')} on ${n(kernels.length, 'kernel')} (${kernels.join(', ')})${programs ? `; ${n(programs, 'selftest program')}` : ''}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.ok;
}

const modeText = (m: ListedMode) => ('expect' in m ? `${m.mode}: ${m.expect}` : `${m.mode}: ${m.decided} (${m.reason})`);

/** Every scenario file under the paths, checked as run would check it; every problem at once. Exit 0 or 2. */
export function validateCommand(paths: string[]): number {
  const files = scenarioFiles(paths.length ? paths : ['scenarios']);
  if (!files.length) throw new BadInputError(`no scenario files (*.yaml) under ${paths.join(', ') || 'scenarios'}`);
  useRecipesOf(files);
  const known = knownRecipes();
  const problems: string[] = [];
  for (const f of files) {
    try {
      loadScenario(f, { knownKernels: known });
    } catch (e) {
      if (!(e instanceof BadInputError)) throw e;
      problems.push(e.message);
    }
  }
  // The recipes the scenarios would find (beside them, in kernels/ folders, BPF_HARNESS_KERNELS), checked as a run resolves them.
  const recipeProblems: string[] = [];
  const recipes = foundRecipes();
  for (const [, file] of recipes) {
    try {
      resolveRecipe(file);
    } catch (e) {
      if (!(e instanceof BadInputError)) throw e;
      recipeProblems.push(e.message);
    }
  }
  // One the walk took for a scenario has its problem reported above already.
  const walked = new Set(files);
  for (const [file, why] of unreadRecipeFiles().filter(([f]) => !walked.has(f))) {
    recipeProblems.push(`${displayPath(file)}: error: not read as a recipe: the file ${why}\n  hint: a recipe is a regular file of at most 1 MiB; move this one out of where recipes are looked for`);
  }
  const recipeLine = recipes.length || recipeProblems.length ? `; ${recipes.length} recipe file${recipes.length === 1 ? '' : 's'} found beside them, ${recipeProblems.length ? `${recipeProblems.length} with errors` : 'all valid'}` : '';
  if (problems.length || recipeProblems.length) {
    process.stderr.write(`${[...problems, ...recipeProblems].join('\n')}\n`);
    process.stdout.write(`${files.length} scenario files: ${problems.length ? `${files.length - problems.length} valid, ${problems.length} with errors` : 'all valid'}${recipeLine}\n`);
    return EXIT.badInput;
  }
  process.stdout.write(`${files.length} scenario files: all valid${recipeLine}\n`);
  return EXIT.ok;
}
