// Debian's prebuilt kernels get the bpftool and libbpf headers of their own source
// package (linux-source-6.12 for linux-image-6.12.*): the host's bpftool 7.1 (libbpf 1.1)
// predates BPF tokens, 6.12's (libbpf 1.5) knows them. The source is the image's own
// version where apt still has it: its selftests are the ones written for that kernel.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLock } from '../../common/lock.js';
import { cacheDir } from '../../common/paths.js';
import { publishOnce } from '../../common/publish.js';
import { progress } from '../../common/progress.js';
import { candidateVersion } from '../../common/apt.js';
import { debianSource, debianSourceDir, importedDebianSource, type WantedVersion } from '../source/debian-source.js';
import { git, type SourceTree } from '../source/tree.js';
import { toolchainVersions } from '../build/cache-key.js';
import { buildTools, type TreeTools } from '../build/tools.js';

/** linux-image-6.12.117+deb12-amd64 or release 6.1.0-50-amd64 -> linux-source-6.12 / -6.1. */
export function sourcePackageFor(release: string): string | undefined {
  const m = /^(\d+\.\d+)/.exec(release);
  return m ? `linux-source-${m[1]}` : undefined;
}

/** The source package a Debian kernel's tools come from and the version it wants, or undefined where apt has no such package. */
async function sourceOf(release: string, version?: string): Promise<{ pkg: string; want?: WantedVersion; recipe: string } | undefined> {
  const pkg = sourcePackageFor(release);
  if (!pkg || !(await candidateVersion(pkg))) return undefined;
  return { pkg, recipe: `(tools for ${release})`, ...(version ? { want: { version, pinned: false } } : {}) };
}

/** The imported tree a Debian kernel's tools and selftests come from (imported yet or not), or undefined where there is none. */
export async function imageSourceDir(release: string, version?: string): Promise<string | undefined> {
  const src = await sourceOf(release, version);
  return src && debianSourceDir(src.pkg, src.recipe, src.want);
}

export type ImageTools = TreeTools & { tree: { dir: string; commit: string } };

/** Where the tools built from the tree of pkg=version (its identity) are kept. */
export async function toolsDir(pkg: string, identity: string): Promise<string> {
  const key = createHash('sha256').update(JSON.stringify([identity, await toolchainVersions()])).digest('hex').slice(0, 16);
  return cacheDir('tools', `${pkg}-${key}`);
}

/** Where the tools built from a tree are kept, and how they are read from there. */
async function toolsPlace(pkg: string, tree: SourceTree): Promise<{ out: string; stamp: string; read: () => ImageTools }> {
  const out = await toolsDir(pkg, tree.identity);
  const stamp = join(out, 'tools.json');
  return { out, stamp, read: () => ({ ...(JSON.parse(readFileSync(stamp, 'utf8')) as TreeTools), tree: { dir: tree.dir, commit: tree.base } }) };
}

/**
 * The tools and the source tree, or undefined when no matching source package exists (the
 * host's bpftool is used then). version: the image package's, e.g. 6.12.117-1~deb12u1.
 */
export async function imageTools(release: string, version?: string): Promise<ImageTools | undefined> {
  const src = await sourceOf(release, version);
  if (!src) return undefined;
  const { pkg } = src;
  const tree = await debianSource(pkg, src.recipe, src.want);
  const { out, stamp, read } = await toolsPlace(pkg, tree);
  if (existsSync(stamp)) return read();
  // The tree lock: a kernel build may have another commit checked out.
  return withLock(tree.dir, `building on ${tree.dir}`, () => publishOnce(out, stamp, `building tools from ${pkg}`, read, async (tmp) => {
    progress(`building bpftool and libbpf headers from ${tree.describe} for Debian's ${release}`);
    await git(tree.dir, ['checkout', '-q', '-f', '--detach', tree.base]);
    const odir = cacheDir('build', `tools-${pkg}`);
    mkdirSync(odir, { recursive: true });
    const t = await buildTools(tree.dir, odir, undefined, tmp, join(odir, 'build.log'), `bpftool for ${release}`);
    const at = (p: string) => p.replace(tmp, out);
    writeFileSync(join(tmp, 'tools.json'), JSON.stringify({ bpftool: at(t.bpftool), includeDirs: t.includeDirs.map(at) }, null, 2));
  }));
}

/** What imageTools gives, when it is all in the cache already: 'none' where it gives nothing, undefined where it would have to make it. */
export async function cachedImageTools(release: string, version?: string): Promise<ImageTools | 'none' | undefined> {
  const src = await sourceOf(release, version);
  if (!src) return 'none';
  const tree = await importedDebianSource(src.pkg, src.recipe, src.want);
  if (!tree) return undefined;
  const { stamp, read } = await toolsPlace(src.pkg, tree);
  return existsSync(stamp) ? read() : undefined;
}
