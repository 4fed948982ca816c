// Kernel recipe file -> validated RecipeFile, with file:line:col errors.
import path from 'node:path';
import { loadYamlFile } from '../../common/yaml-file.js';
import { RECIPE_HINTS, recipeSchema, type RecipeFile } from './schema.js';

/** Load and validate one recipe file; `extends` is not resolved here. */
export function loadRecipeFile(file: string): RecipeFile {
  const abs = path.resolve(file);
  const recipe = loadYamlFile(abs, () => recipeSchema, { schemaRef: 'kernels/schema.json', hints: RECIPE_HINTS });
  return { ...recipe, file: abs };
}
