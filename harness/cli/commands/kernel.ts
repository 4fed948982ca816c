// bpf-harness kernel list | kernel build NAME|FILE | kernel gc
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../../../common/errors.js';
import { cacheDir } from '../../../common/paths.js';
import { alive, leasedPaths } from '../../../common/lease.js';
import { tryLock } from '../../../common/lock.js';
import { scratchPid } from '../../../common/publish.js';
import { checkKernels, kernelArtifacts, knownRecipes, recipeFile } from '../../../kernels/resolve.js';
import { ensureCacheWritable } from '../../../common/writable-dir.js';
import { resolveRecipe, type ResolvedRecipe } from '../../../kernels/recipe/recipe.js';
import { buildDirPrefix, builtDir, peekKey, pinnedVersion, readBuiltKernel } from '../../../kernels/build/builder.js';
import { toolsDir } from '../../../kernels/fetch/image-tools.js';
import { debPath } from '../../../common/apt.js';
import { debianImageSourceDir } from '../../../kernels/fetch/debian-image.js';
import { debianSourceDir, importedTrees } from '../../../kernels/source/debian-source.js';
import { allBackends } from '../../../targets/backends/index.js';
import { duBytes } from '../../../common/disk-usage.js';

const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;

/** What the backends add to a built kernel's line (QEMU: "snapshots: 2, 223 MB"). */
const notesOf = (name: string) => allBackends().map((b) => b.kernelNote?.(name) ?? '').filter(Boolean).map((n) => `  ${n}`).join('');

export async function kernelList(): Promise<number> {
  process.stdout.write(`${'NAME'.padEnd(24)} ${'SOURCE'.padEnd(14)} STATE\n`);
  for (const name of knownRecipes()) {
    const r = resolveRecipe(recipeFile(name));
    let state: string;
    if (r.source.kind === 'debian-image') {
      state = `prebuilt package ${r.source.pkg}`;
    } else {
      const key = await peekKey(r).catch(() => undefined);
      const b = key ? readBuiltKernel(key) : undefined;
      state = b ? `built ${b.createdAt.slice(0, 16).replace('T', ' ')}  ${b.release}  ${mb(duBytes(builtDir(b.key)))}  (${b.key})`
        : key ? `not built (${key})` : 'not built (source not fetched yet)';
    }
    process.stdout.write(`${name.padEnd(24)} ${r.source.kind.padEnd(14)} ${state}${notesOf(name)}\n`);
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

/**
 * Remove built kernels no recipe in kernels/ builds to now (all of them, and the build
 * dirs, with --all), but none a running harness holds (its lease) or is publishing (its
 * lock), and scratch directories of runs that died. Where a recipe's key cannot be worked out (apt or git failing),
 * nothing is removed: a kernel takes minutes to build again.
 */
export async function kernelGc(all: boolean): Promise<number> {
  ensureCacheWritable();
  const keep = new Set<string>();
  // Read once, when first needed: --all asks only the source gc, which keeps every tree if a recipe cannot be read.
  let known: Recipes | undefined;
  const recipes: () => Recipes = () => (known ??= knownRecipes().map((name) => ({ name, r: resolveRecipe(recipeFile(name)) })));
  if (!all) {
    for (const { name, r } of recipes()) {
      if (r.source.kind === 'debian-image') continue;
      // A git source never fetched has no key: nothing of it to keep.
      const key = await peekKey(r).catch((e: Error) => {
        if (r.source.kind === 'git') return undefined;
        throw new InfraError(`kernel gc: cannot tell what ${name} builds to (${e.message}); removed nothing`);
      });
      if (key) keep.add(key);
    }
  }
  let freed = 0;
  const dirs = [cacheDir('kernels', 'built'), ...(all ? [cacheDir('build')] : [])];
  for (const dir of dirs.filter((d) => existsSync(d))) {
    for (const e of readdirSync(dir)) {
      const scratchOf = scratchPid(e);
      // A publish in progress, or a build's scratch whose process is gone (removed then).
      if (scratchOf !== undefined && alive(scratchOf)) continue;
      if (keep.has(e)) continue;
      freed += await removeUnheld(join(dir, e), 'being written now');
    }
  }
  for (const b of allBackends()) {
    const g = b.gc?.(all);
    g?.removed.forEach((p) => process.stdout.write(`removed ${p}\n`));
    freed += g?.bytes ?? 0;
  }
  freed += await gcSources(recipes);
  process.stdout.write(`freed ${mb(freed)}\n`);
  return 0;
}

/**
 * p and the paths that go with it removed, unless a running harness leases p or holds its
 * lock (the one publishOnce, imports and builds take); the bytes freed. The leases are read
 * only once the lock is ours (a list read before slow apt look-ups would miss a run that
 * started meanwhile), and again once p is out of its place: a harness leases before it
 * looks for p, so it either shows up here and p is put back, or it finds p gone and makes
 * it again, waiting for this lock.
 */
async function removeUnheld(p: string, busy: string, withIt: string[] = []): Promise<number> {
  const kept = (why: string) => {
    process.stdout.write(`kept ${p}: ${why}\n`);
    return 0;
  };
  const release = await tryLock(p);
  if (!release) return kept(busy);
  try {
    if (leasedPaths().has(p)) return kept('a running harness uses it');
    const doomed = `${p}.gc-${process.pid}`;
    if (existsSync(p)) renameSync(p, doomed);
    const held = leasedPaths();
    if (held.has(p)) {
      if (existsSync(doomed)) renameSync(doomed, p);
      return kept('a running harness uses it');
    }
    const bytes = existsSync(doomed) ? duBytes(doomed) : 0;
    rmSync(doomed, { recursive: true, force: true });
    process.stdout.write(`removed ${p}\n`);
    return withIt.filter((w) => existsSync(w) && !held.has(w)).reduce((n, q) => n + removed(q), bytes);
  } finally {
    await release();
  }
}

function removed(p: string): number {
  const bytes = existsSync(p) ? duBytes(p) : 0;
  rmSync(p, { recursive: true, force: true });
  process.stdout.write(`removed ${p}\n`);
  return bytes;
}

type Recipes = { name: string; r: ResolvedRecipe }[];

/** The imported source trees the recipes use now; undefined when that cannot be told (a recipe unreadable, apt failing). */
async function sourcesInUse(recipes: () => Recipes): Promise<Set<string> | undefined> {
  const keep = new Set<string>();
  try {
    for (const { r } of recipes()) {
      const s = r.source;
      const dir = s.kind === 'debian-source' ? await debianSourceDir(s.pkg, r.file, pinnedVersion(s))
        : s.kind === 'debian-image' ? await debianImageSourceDir(s.pkg, r.file) : undefined;
      if (dir) keep.add(dir);
    }
  } catch {
    return undefined;
  }
  return keep;
}

/**
 * Debian source trees no recipe uses now (an earlier point release, once apt offers a
 * newer one), each with its .deb, the O= dirs built from it and the tools built from it.
 * Not one a running harness reads (its lease) or builds on or imports (its lock).
 */
async function gcSources(recipes: () => Recipes): Promise<number> {
  const trees = importedTrees();
  if (!trees.length) return 0;
  const keep = await sourcesInUse(recipes);
  if (!keep) {
    process.stdout.write('kept the imported source trees: cannot tell which the recipes use (a recipe unreadable, or apt-cache failing)\n');
    return 0;
  }
  let freed = 0;
  for (const t of trees.filter((t) => !keep.has(t.dir))) {
    const prefix = buildDirPrefix(t.dir);
    const builds = existsSync(cacheDir('build')) ? readdirSync(cacheDir('build')).filter((e) => e.startsWith(prefix)).map((e) => cacheDir('build', e)) : [];
    freed += await removeUnheld(t.dir, 'being imported or built on now', [debPath(t.pkg, t.version, 'all'), ...builds, await toolsDir(t.pkg, `${t.pkg}=${t.version}`)]);
  }
  return freed;
}
