// Sources of kind `debian-source`: Debian's linux-source-X.Y package (offline default).
// Its tarball is imported into a git repository once, so patches apply with git am and
// an unchanged file keeps its mtime across builds (make rebuilds only what a patch touched).
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError, InfraError } from '../../common/errors.js';
import { lease } from '../../common/lease.js';
import { publishOnce } from '../../common/publish.js';
import { cacheDir } from '../../common/paths.js';
import { timed } from '../../common/progress.js';
import { candidateVersion, downloadDeb, versionAvailable } from '../../common/apt.js';
import { git, type SourceTree } from './tree.js';

/** A version asked for: a recipe's pin (pkg=version, required) or a prebuilt image's own (taken where apt has it). */
export interface WantedVersion {
  version: string;
  pinned: boolean;
}

/**
 * pkg=version: the source's identity, known without importing it. The version is the one
 * wanted where apt has it, else the one apt would install now; a pinned one apt lacks is
 * bad input.
 */
export async function debianSourceIdentity(pkg: string, recipeFile: string, want?: WantedVersion): Promise<{ identity: string; version: string }> {
  if (want && (await versionAvailable(pkg, want.version))) return { identity: `${pkg}=${want.version}`, version: want.version };
  if (want?.pinned) {
    throw new BadInputError(`${recipeFile}: debian-source ${pkg}=${want.version} is not available from apt`, {
      file: recipeFile, hint: `\`apt-cache madison ${pkg}\` lists the versions apt has (after \`apt-get update\`); Debian's security archive drops old point releases, so pin one it still has, or drop "=${want.version}" to follow the newest`,
    });
  }
  const version = await candidateVersion(pkg);
  if (!version) {
    throw new BadInputError(`${recipeFile}: debian-source package ${pkg} is not available from apt`, {
      file: recipeFile, hint: 'run `apt-get update`, or name one listed by `apt-cache search --names-only ^linux-source-`',
    });
  }
  return { identity: `${pkg}=${version}`, version };
}

/** Where a source package's tree is imported, and the stamp that says it is. */
export function importPlace(pkg: string, version: string): { dir: string; stamp: string } {
  // make mistakes '=' and worse in paths for assignments: keep tree paths to plain characters.
  const dir = cacheDir('sources', 'debian-source', `${pkg}_${version}`.replace(/[^A-Za-z0-9._-]/g, '_'));
  return { dir, stamp: stampOf(dir) };
}

/** Where the tree of pkg at the version debianSource would take is imported (or would be). */
export async function debianSourceDir(pkg: string, recipeFile: string, want?: WantedVersion): Promise<string> {
  return importPlace(pkg, (await debianSourceIdentity(pkg, recipeFile, want)).version).dir;
}

// Inside .git, so that cleaning the work tree never removes it.
const stampOf = (dir: string) => join(dir, '.git', 'bpf-harness-imported');

async function treeAt(dir: string, pkg: string, identity: string, version: string): Promise<SourceTree> {
  const base = (await git(dir, ['rev-parse', 'refs/tags/bpf-harness-base'])).stdout.trim();
  return { dir, base, identity, describe: `Debian ${pkg} ${version}`, owned: true };
}

export async function debianSource(pkg: string, recipeFile: string, want?: WantedVersion): Promise<SourceTree> {
  const { identity, version } = await debianSourceIdentity(pkg, recipeFile, want);
  const { dir, stamp } = importPlace(pkg, version);
  // Held while this process lives: kernel gc leaves a tree alone that a running harness
  // reads. Leased before the tree is looked for, so that gc, which reads the leases after
  // it has the tree's lock, either sees the lease or has removed the tree before we look.
  lease(dir);
  await publishOnce(dir, stamp, `importing ${pkg}`, () => undefined, (tmp) => importTarball(pkg, version, tmp));
  return treeAt(dir, pkg, identity, version);
}

/** The trees imported in the cache, with the package and version each was imported from. */
export function importedTrees(): { dir: string; pkg: string; version: string }[] {
  const root = cacheDir('sources', 'debian-source');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((e) => {
    const dir = join(root, e);
    const stamp = stampOf(dir);
    // An import in progress or given up has no stamp yet: publishOnce owns it.
    const m = existsSync(stamp) ? /^([^=\s]+)=(\S+)/.exec(readFileSync(stamp, 'utf8')) : null;
    return m ? [{ dir, pkg: m[1]!, version: m[2]! }] : [];
  });
}

/** The tree debianSource would give, when it is imported already; nothing is fetched. */
export async function importedDebianSource(pkg: string, recipeFile: string, want?: WantedVersion): Promise<SourceTree | undefined> {
  const { identity, version } = await debianSourceIdentity(pkg, recipeFile, want);
  const { dir, stamp } = importPlace(pkg, version);
  if (!existsSync(stamp)) return undefined;
  lease(dir);
  // gc may have taken it between the look and the lease: looked for again, leased now.
  return existsSync(stamp) ? treeAt(dir, pkg, identity, version) : undefined;
}

async function importTarball(pkg: string, version: string, tmp: string): Promise<void> {
  const deb = await downloadDeb(pkg, version, 'all');
  await timed(`importing ${pkg} ${version} into a git tree (once)`, async () => {
    const unpacked = `${tmp}.deb`;
    try {
      await execa('dpkg-deb', ['-x', deb, unpacked]);
      const tarballs = readdirSync(join(unpacked, 'usr', 'src')).filter((f) => /^linux-source-.*\.tar\.(xz|gz|bz2)$/.test(f));
      if (!tarballs[0]) throw new InfraError(`${deb} holds no usr/src/linux-source-*.tar.*`);
      mkdirSync(tmp, { recursive: true });
      await execa('tar', ['-xf', join(unpacked, 'usr', 'src', tarballs[0]), '-C', tmp, '--strip-components=1']);
    } finally {
      rmSync(unpacked, { recursive: true, force: true });
    }
    await git(tmp, ['init', '-q']);
    // -f: Debian's tarball carries a top-level .gitignore of "/*".
    await git(tmp, ['add', '-A', '-f']);
    await git(tmp, ['commit', '-q', '-m', `${pkg} ${version}`]);
    await git(tmp, ['tag', 'bpf-harness-base']);
    writeFileSync(stampOf(tmp), `${pkg}=${version}\n`);
  });
}
