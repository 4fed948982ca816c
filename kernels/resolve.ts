// --kernel NAME|FILE -> a recipe -> kernel artifacts ready to boot.
import { DEFAULT_ARCH, type Arch } from '../common/arch.js';
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { BadInputError } from '../common/errors.js';
import { InputFileError, readInputText } from '../common/input-file.js';
import { repoRoot } from '../common/paths.js';
import type { KernelArtifacts } from './recipe/artifacts.js';
import { kindOf } from './kinds/index.js';
import { resolveRecipe } from './recipe/recipe.js';

export const RECIPE_DIR = join(repoRoot, 'kernels');

/** Recipes found for the scenarios of this run (name -> file), looked up before the shipped ones. */
const found = new Map<string, string>();

const dirRecipes = new Map<string, string[]>();
const recipeFiles = new Map<string, boolean>();
/** Files where recipes are looked for that were not read (not regular, over 1 MiB), with why. */
const unread = new Map<string, string>();
/** The recipe files of a folder, read once per process (scenarios share folders). */
function recipesIn(dir: string): string[] {
  let r = dirRecipes.get(dir);
  if (!r) {
    try {
      r = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && isRecipeFile(join(dir, f))).map((f) => join(dir, f));
    } catch {
      r = [];
    }
    dirRecipes.set(dir, r);
  }
  return r;
}

/**
 * Whether a YAML file is a kernel recipe rather than a scenario: a recipe has a top-level
 * source: or extends:, which no scenario has. A file that does not parse is not one (the
 * scenario loader then reports it).
 */
export function isRecipeFile(file: string): boolean {
  let r = recipeFiles.get(file);
  if (r === undefined) {
    try {
      // Silent: a malformed file is the scenario loader's to report, once, with its position;
      // so is one that is not a regular file or is over 1 MiB (readInputText refuses it
      // before opening it: a FIFO here hung the run, a 50 MB file took 2.6 GB).
      const doc: unknown = parse(readInputText(file), { logLevel: 'silent' });
      r = !!doc && typeof doc === 'object' && !Array.isArray(doc) && ('source' in doc || 'extends' in doc);
    } catch (e) {
      if (e instanceof InputFileError) unread.set(file, e.message);
      r = false;
    }
    // The scenario walk and the recipe search look at the same files: each is read once.
    recipeFiles.set(file, r);
  }
  return r;
}

/**
 * Where a scenario's recipes are looked for, in order: beside it, in a kernels/ folder
 * beside it or above it up to its repository's root (the first folder up with a .git),
 * then the folders of BPF_HARNESS_KERNELS (colon-separated). The shipped kernels/ comes
 * after all of these.
 */
export function recipeDirs(scenarioFile: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  let dir = dirname(resolve(scenarioFile));
  dirs.push(dir);
  for (;;) {
    dirs.push(join(dir, 'kernels'));
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  for (const d of (env.BPF_HARNESS_KERNELS ?? '').split(':').filter(Boolean)) dirs.push(resolve(d));
  return dirs.filter((d) => d !== RECIPE_DIR);
}

/**
 * Makes the recipes the scenario files can see known by name for this run. The same
 * name found in two different files, for two scenarios, is ambiguous: bad input.
 */
export function useRecipesOf(scenarioFiles: string[], env: NodeJS.ProcessEnv = process.env): void {
  const seen = new Map<string, { file: string; by: string }>();
  for (const sc of scenarioFiles) {
    const mine = new Map<string, string>();
    for (const dir of recipeDirs(sc, env))
      for (const f of recipesIn(dir)) {
        const name = basename(f).replace(/\.ya?ml$/, '');
        if (!mine.has(name)) mine.set(name, f);
      }
    for (const [name, file] of mine) {
      const other = seen.get(name);
      if (other && other.file !== file) {
        throw new BadInputError(`kernel "${name}" means ${relative(process.cwd(), other.file)} for ${relative(process.cwd(), other.by)} and ${relative(process.cwd(), file)} for ${relative(process.cwd(), sc)}`, {
          hint: 'give one of the recipes another name, or run the two scenarios separately',
        });
      }
      seen.set(name, { file, by: sc });
    }
  }
  for (const [name, { file }] of seen) found.set(name, file);
}

/** The recipes found for this run's scenarios (name -> file), for validate. */
export function foundRecipes(): [string, string][] {
  return [...found];
}

/** Files where recipes were looked for that were not read, and why (for validate; a run goes on without them). */
export function unreadRecipeFiles(): [string, string][] {
  return [...unread];
}

/** Every recipe name: the shipped ones, and those found for this run's scenarios. */
export function knownRecipes(): string[] {
  const shipped = readdirSync(RECIPE_DIR).filter((f) => /\.ya?ml$/.test(f)).map((f) => f.replace(/\.ya?ml$/, ''));
  return [...new Set([...shipped, ...found.keys()])].sort();
}

/**
 * A kernel as the plan holds it, worked out once: the name results, expect_by_kernel and
 * compare use (a recipe's own name, however --kernel named it), what a backend opens (the
 * --kernel argument: a recipe name or file, or the name given to a host), and its
 * architecture.
 */
export interface PlannedKernel {
  name: string;
  ref: string;
  arch: Arch;
  /** The recipe's source kind (debian-image, git, ...); absent for a host's own kernel. */
  source?: string;
}

/** A --kernel argument or a scenario's kernels: entry as the plan holds it; a host's kernel (not a recipe) keeps its name. */
export function planKernel(ref: string, isRecipe: boolean): PlannedKernel {
  if (!isRecipe) return { name: ref, ref, arch: DEFAULT_ARCH };
  const r = resolveRecipe(recipeFile(ref));
  return { name: r.name, ref, arch: DEFAULT_ARCH, source: kindOf(r).name };
}

/** A recipe name (one found for the run's scenarios, else kernels/NAME.yaml) or a path to a recipe file. */
export function recipeFile(nameOrFile: string): string {
  if (/[/]|\.ya?ml$/.test(nameOrFile)) {
    const p = resolve(nameOrFile);
    if (!existsSync(p)) throw new BadInputError(`--kernel ${nameOrFile}: no such recipe file`, { hint: `name a recipe (${knownRecipes().join(', ')}) or an existing recipe file` });
    return p;
  }
  const mine = found.get(nameOrFile);
  if (mine) return mine;
  for (const ext of ['yaml', 'yml']) {
    const p = join(RECIPE_DIR, `${nameOrFile}.${ext}`);
    if (existsSync(p)) return p;
  }
  throw new BadInputError(`unknown kernel "${nameOrFile}"`, { hint: `known kernels: ${knownRecipes().join(', ')}; or pass a recipe file path` });
}

/** Check every named kernel resolves to a valid recipe (before anything is fetched). */
export function checkKernels(names: string[]): void {
  for (const n of new Set(names)) resolveRecipe(recipeFile(n));
}

export async function kernelArtifacts(nameOrFile: string): Promise<KernelArtifacts> {
  return kindOf(resolveRecipe(recipeFile(nameOrFile))).artifacts();
}

/** kernelArtifacts' answer when everything it needs is in the cache already; undefined where it would fetch or build. */
export async function cachedKernelArtifacts(nameOrFile: string): Promise<KernelArtifacts | undefined> {
  return kindOf(resolveRecipe(recipeFile(nameOrFile))).cached();
}
