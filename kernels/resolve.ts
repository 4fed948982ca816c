// --kernel NAME|FILE -> a recipe -> kernel artifacts ready to boot.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BadInputError } from '../common/errors.js';
import { repoRoot } from '../common/paths.js';
import type { KernelArtifacts } from './artifacts.js';
import { fetchDebianImage } from './fetch/debian-image.js';
import { buildKernel } from './build/builder.js';
import { resolveRecipe } from './recipe.js';

export const RECIPE_DIR = join(repoRoot, 'kernels');

export function knownRecipes(): string[] {
  return readdirSync(RECIPE_DIR).filter((f) => /\.ya?ml$/.test(f)).map((f) => f.replace(/\.ya?ml$/, '')).sort();
}

/** A recipe name (kernels/NAME.yaml) or a path to a recipe file. */
export function recipeFile(nameOrFile: string): string {
  if (/[/]|\.ya?ml$/.test(nameOrFile)) {
    const p = resolve(nameOrFile);
    if (!existsSync(p)) throw new BadInputError(`--kernel ${nameOrFile}: no such recipe file`, { hint: `name a recipe (${knownRecipes().join(', ')}) or an existing recipe file` });
    return p;
  }
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
  const recipe = resolveRecipe(recipeFile(nameOrFile));
  if (recipe.source.kind === 'debian-image') return fetchDebianImage(recipe.name, recipe.source.pkg, recipe.file);
  return buildKernel(recipe);
}
