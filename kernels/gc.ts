// kernel gc's clean-up of the kernel cache: built kernels no recipe builds to now, scratch
// dirs of runs that died, and imported Debian source trees no recipe uses (with their
// .deb, build dirs and tools); what a running harness leases or locks is kept. The CLI
// says what it reports (say) and adds the backends' own clean-up (snapshots).
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../common/errors.js';
import { cacheDir } from '../common/paths.js';
import { alive, leasedPaths } from '../common/lease.js';
import { tryLock } from '../common/lock.js';
import { scratchPid } from '../common/publish.js';
import { debPath } from '../common/apt.js';
import { duBytes } from '../common/disk-usage.js';
import { knownRecipes, recipeFile } from './resolve.js';
import { resolveRecipe } from './recipe/recipe.js';
import { buildDirPrefix } from './build/builder.js';
import { toolsDir } from './fetch/image-tools.js';
import { importedTrees } from './source/debian-source.js';
import { kindOf } from './kinds/index.js';

/**
 * Remove built kernels no recipe in kernels/ builds to now (all of them, and the build
 * dirs, with --all), but none a running harness holds (its lease) or is publishing (its
 * lock), and scratch directories of runs that died. Where a recipe's key cannot be worked out (apt or git failing),
 * nothing is removed: a kernel takes minutes to build again.
 */
export async function gcKernels(all: boolean, say: (line: string) => void): Promise<number> {
  // Asked once, when first needed: --all asks only the source gc, which keeps every tree if a recipe cannot be read.
  let asked: Promise<InUse> | undefined;
  const inUse = () => (asked ??= recipesInUse());
  const keep = new Set<string>();
  if (!all) {
    const u = await inUse();
    if ('unknown' in u) throw new InfraError(`kernel gc: ${u.unknown}; removed nothing`);
    u.builtKeys.forEach((k) => keep.add(k));
  }
  let freed = 0;
  const dirs = [cacheDir('kernels', 'built'), ...(all ? [cacheDir('build')] : [])];
  for (const dir of dirs.filter((d) => existsSync(d))) {
    for (const e of readdirSync(dir)) {
      const scratchOf = scratchPid(e);
      // A publish in progress, or a build's scratch whose process is gone (removed then).
      if (scratchOf !== undefined && alive(scratchOf)) continue;
      if (keep.has(e)) continue;
      freed += await removeUnheld(join(dir, e), 'being written now', say);
    }
  }
  freed += await gcSources(inUse, say);
  return freed;
}

type InUse = { builtKeys: Set<string>; trees: Set<string> } | { unknown: string };

/** What every known recipe uses of the cache now (each source kind says), or why that cannot be told. */
async function recipesInUse(): Promise<InUse> {
  const builtKeys = new Set<string>();
  const trees = new Set<string>();
  let names: string[];
  try {
    names = knownRecipes();
  } catch (e) {
    return { unknown: `cannot list the recipes (${(e as Error).message})` };
  }
  for (const name of names) {
    try {
      const u = await kindOf(resolveRecipe(recipeFile(name))).inUse();
      u.builtKeys.forEach((k) => builtKeys.add(k));
      u.trees.forEach((d) => trees.add(d));
    } catch (e) {
      return { unknown: `cannot tell what ${name} uses (${(e as Error).message})` };
    }
  }
  return { builtKeys, trees };
}

/**
 * p and the paths that go with it removed, unless a running harness leases p or holds its
 * lock (the one publishOnce, imports and builds take); the bytes freed. The leases are read
 * only once the lock is ours (a list read before slow apt look-ups would miss a run that
 * started meanwhile), and again once p is out of its place: a harness leases before it
 * looks for p, so it either shows up here and p is put back, or it finds p gone and makes
 * it again, waiting for this lock.
 */
async function removeUnheld(p: string, busy: string, say: (line: string) => void, withIt: string[] = []): Promise<number> {
  const kept = (why: string) => {
    say(`kept ${p}: ${why}`);
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
    say(`removed ${p}`);
    return withIt.filter((w) => existsSync(w) && !held.has(w)).reduce((n, q) => n + removed(q, say), bytes);
  } finally {
    await release();
  }
}

function removed(p: string, say: (line: string) => void): number {
  const bytes = existsSync(p) ? duBytes(p) : 0;
  rmSync(p, { recursive: true, force: true });
  say(`removed ${p}`);
  return bytes;
}

/**
 * Debian source trees no recipe uses now (an earlier point release, once apt offers a
 * newer one), each with its .deb, the O= dirs built from it and the tools built from it.
 * Not one a running harness reads (its lease) or builds on or imports (its lock).
 */
async function gcSources(inUse: () => Promise<InUse>, say: (line: string) => void): Promise<number> {
  const trees = importedTrees();
  if (!trees.length) return 0;
  const u = await inUse();
  const keep = 'unknown' in u ? undefined : u.trees;
  if (!keep) {
    say('kept the imported source trees: cannot tell which the recipes use (a recipe unreadable, or apt-cache failing)');
    return 0;
  }
  let freed = 0;
  for (const t of trees.filter((t) => !keep.has(t.dir))) {
    const prefix = buildDirPrefix(t.dir);
    const builds = existsSync(cacheDir('build')) ? readdirSync(cacheDir('build')).filter((e) => e.startsWith(prefix)).map((e) => cacheDir('build', e)) : [];
    freed += await removeUnheld(t.dir, 'being imported or built on now', say, [debPath(t.pkg, t.version, 'all'), ...builds, await toolsDir(t.pkg, `${t.pkg}=${t.version}`)]);
  }
  return freed;
}
