// bpf-harness kernel list | kernel build NAME|FILE | kernel gc
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../../../common/errors.js';
import { cacheDir } from '../../../common/paths.js';
import { alive, leasedPaths } from '../../../common/lease.js';
import { tryLock } from '../../../common/lock.js';
import { scratchPid } from '../../../common/publish.js';
import { checkKernels, kernelArtifacts, knownRecipes, recipeFile } from '../../../kernels/resolve.js';
import { ensureCacheWritable } from '../../../common/writable-dir.js';
import { resolveRecipe } from '../../../kernels/recipe.js';
import { buildDirPrefix, builtDir, peekKey, pinnedVersion, readBuiltKernel } from '../../../kernels/build/builder.js';
import { toolsDir } from '../../../kernels/build/image-tools.js';
import { debPath } from '../../../kernels/fetch/apt.js';
import { debianImageSourceDir } from '../../../kernels/fetch/debian-image.js';
import { debianSourceIdentity, importedTrees, importPlace } from '../../../kernels/source/debian-source.js';
import { allSnapshots, deadSaves } from '../../../vm/qemu/snapshot.js';

function duBytes(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, e) => n + duBytes(join(p, e)), 0);
}

const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;

/** "snapshots: 2, 223 MB" for a recipe's guests, or nothing. */
function snapshotsOf(name: string): string {
  const mine = allSnapshots().filter((s) => s.snapshot?.meta.kernel === name);
  return mine.length ? `  snapshots: ${mine.length}, ${mb(mine.reduce((n, s) => n + s.bytes, 0))}` : '';
}

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
    process.stdout.write(`${name.padEnd(24)} ${r.source.kind.padEnd(14)} ${state}${snapshotsOf(name)}\n`);
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
  if (!all) {
    for (const name of knownRecipes()) {
      const r = resolveRecipe(recipeFile(name));
      if (r.source.kind === 'debian-image' || (r.source.kind === 'git' && !(await peekKey(r).catch(() => undefined)))) continue;
      const key = await peekKey(r).catch((e: Error) => {
        throw new InfraError(`kernel gc: cannot tell what ${name} builds to (${e.message}); removed nothing`);
      });
      if (key) keep.add(key);
    }
  }
  let freed = 0;
  const held = leasedPaths();
  const dirs = [cacheDir('kernels', 'built'), ...(all ? [cacheDir('build')] : [])];
  for (const dir of dirs.filter((d) => existsSync(d))) {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      const scratchOf = scratchPid(e);
      // A publish in progress, or a build's scratch whose process is gone (removed then).
      if (scratchOf !== undefined && alive(scratchOf)) continue;
      if (keep.has(e)) continue;
      if (held.has(p)) {
        process.stdout.write(`kept ${p}: a running harness uses it\n`);
        continue;
      }
      // The lock publishOnce takes on it: not while someone is publishing it.
      const release = await tryLock(p);
      if (!release) {
        process.stdout.write(`kept ${p}: being written now\n`);
        continue;
      }
      try {
        freed += duBytes(p);
        rmSync(p, { recursive: true, force: true });
        process.stdout.write(`removed ${p}\n`);
      } finally {
        await release();
      }
    }
  }
  freed += gcSnapshots(all);
  freed += await gcSources(held);
  process.stdout.write(`freed ${mb(freed)}\n`);
  return 0;
}

/** The imported source trees the shipped recipes use now; undefined when that cannot be told (apt failing). */
async function sourcesInUse(): Promise<Set<string> | undefined> {
  const keep = new Set<string>();
  try {
    for (const name of knownRecipes()) {
      const r = resolveRecipe(recipeFile(name));
      const s = r.source;
      const dir = s.kind === 'debian-source' ? importPlace(s.pkg, (await debianSourceIdentity(s.pkg, r.file, pinnedVersion(s))).version).dir
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
async function gcSources(held: Set<string>): Promise<number> {
  const trees = importedTrees();
  if (!trees.length) return 0;
  const keep = await sourcesInUse();
  if (!keep) {
    process.stdout.write('kept the imported source trees: cannot tell which the recipes use (apt-cache failed)\n');
    return 0;
  }
  let freed = 0;
  for (const t of trees.filter((t) => !keep.has(t.dir))) {
    if (held.has(t.dir)) {
      process.stdout.write(`kept ${t.dir}: a running harness uses it\n`);
      continue;
    }
    const release = await tryLock(t.dir);
    if (!release) {
      process.stdout.write(`kept ${t.dir}: being imported or built on now\n`);
      continue;
    }
    try {
      const prefix = buildDirPrefix(t.dir);
      const builds = existsSync(cacheDir('build')) ? readdirSync(cacheDir('build')).filter((e) => e.startsWith(prefix)).map((e) => cacheDir('build', e)) : [];
      for (const p of [t.dir, debPath(t.pkg, t.version, 'all'), ...builds, await toolsDir(t.pkg, `${t.pkg}=${t.version}`)]) {
        if (!existsSync(p) || held.has(p)) continue;
        freed += duBytes(p);
        rmSync(p, { recursive: true, force: true });
        process.stdout.write(`removed ${p}\n`);
      }
    } finally {
      await release();
    }
  }
  return freed;
}

/**
 * Snapshots go with their kernel: those whose kernel image is gone from the cache (all
 * with --all), unreadable ones, and saves whose process died. One being restored is safe
 * to remove: QEMU reads the stream from a descriptor it already holds.
 */
export function gcSnapshots(all: boolean): number {
  let freed = 0;
  const doomed = [
    ...allSnapshots().filter((s) => all || !s.snapshot || !existsSync(s.snapshot.meta.bzImage)),
    ...deadSaves().map((dir) => ({ dir, bytes: 0 })),
  ];
  for (const s of doomed) {
    freed += existsSync(s.dir) ? duBytes(s.dir) : 0;
    rmSync(s.dir, { recursive: true, force: true });
    process.stdout.write(`removed ${s.dir}\n`);
  }
  return freed;
}
