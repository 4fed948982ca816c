// bpf-harness kernel list | kernel build NAME|FILE
import { existsSync } from 'node:fs';
import { kernelArtifacts, knownRecipes, recipeFile } from '../../../kernels/resolve.js';
import { loadRecipeFile } from '../../../kernels/recipe-load.js';

export function kernelList(): number {
  for (const name of knownRecipes()) {
    const r = loadRecipeFile(recipeFile(name));
    const kind = r.source ? Object.keys(r.source)[0] : r.extends ? `extends ${r.extends}` : '?';
    process.stdout.write(`${name.padEnd(24)} ${kind}\n`);
  }
  return 0;
}

export async function kernelBuild(nameOrFile: string): Promise<number> {
  const art = await kernelArtifacts(nameOrFile);
  process.stdout.write(`${art.name}: ${art.origin}\n  release  ${art.release}\n  bzImage  ${art.bzImage}\n  config   ${art.config}\n`);
  if (art.modulesDir && existsSync(art.modulesDir)) process.stdout.write(`  modules  ${art.modulesDir}\n`);
  return 0;
}
