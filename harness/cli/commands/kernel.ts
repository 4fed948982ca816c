// bpf-harness kernel list | kernel build NAME|FILE | kernel gc
import { existsSync } from 'node:fs';
import { checkKernels, kernelArtifacts, knownRecipes, recipeFile } from '../../../kernels/resolve.js';
import { ensureCacheWritable } from '../../../common/writable-dir.js';
import { resolveRecipe } from '../../../kernels/recipe/recipe.js';
import { kindOf } from '../../../kernels/kinds/index.js';
import { gcKernels } from '../../../kernels/gc.js';
import { allBackends } from '../../../vm/backends/index.js';
import { mb } from '../../../common/disk-usage.js';

/** What the backends add to a built kernel's line (QEMU: "snapshots: 2, 223 MB"). */
const notesOf = (name: string) => allBackends().map((b) => b.kernelNote?.(name) ?? '').filter(Boolean).map((n) => `  ${n}`).join('');

export async function kernelList(): Promise<number> {
  process.stdout.write(`${'NAME'.padEnd(24)} ${'SOURCE'.padEnd(14)} STATE\n`);
  for (const name of knownRecipes()) {
    const r = resolveRecipe(recipeFile(name));
    const kind = kindOf(r);
    process.stdout.write(`${name.padEnd(24)} ${kind.name.padEnd(14)} ${await kind.state()}${notesOf(name)}\n`);
  }
  return 0;
}

export async function kernelBuild(nameOrFile: string): Promise<number> {
  checkKernels([nameOrFile]);
  ensureCacheWritable();
  const art = await kernelArtifacts(nameOrFile);
  process.stdout.write(`${art.name}: ${art.origin}\n  release  ${art.release}\n  bzImage  ${art.bzImage}\n  config   ${art.config}\n`);
  for (const [label, p] of [['vmlinux', art.vmlinux], ['bpftool', art.bpftool], ['vmlinux.h', art.vmlinuxH], ['modules', art.modulesDir]] as const) {
    if (p && existsSync(p)) process.stdout.write(`  ${label.padEnd(8)} ${p}\n`);
  }
  return 0;
}

/** Everything of the cache no recipe needs now (kernels/gc.ts), then each backend's own (QEMU: snapshots). */
export async function kernelGc(all: boolean): Promise<number> {
  ensureCacheWritable();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  let freed = await gcKernels(all, say);
  for (const b of allBackends()) {
    const g = b.gc?.(all);
    g?.removed.forEach((p) => say(`removed ${p}`));
    freed += g?.bytes ?? 0;
  }
  say(`freed ${mb(freed)}`);
  return 0;
}
