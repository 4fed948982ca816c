// Files of a kernel tree at a commit, extracted with git archive into the cache: {tree:}
// programs, the selftests' sources and the loader's build read them from there.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { cacheDir } from '../../common/paths.js';

/**
 * Directories of a tree's commit, extracted once into the cache (one cache dir per
 * commit and set of directories: extractions of others never mix in). Returns the
 * extraction's root, or undefined when git cannot find them at that commit.
 */
export async function extracted(dir: string, commit: string, subs: string[]): Promise<string | undefined> {
  const root = cacheDir('tree-files', commit.slice(0, 16), createHash('sha256').update(subs.join('\0')).digest('hex').slice(0, 12));
  if (existsSync(root)) return root;
  const tmp = `${root}.${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const r = await execa('sh', ['-c', 'd=$1 c=$2 t=$3; shift 3; git -C "$d" archive --format=tar "$c" -- "$@" | tar -x -C "$t"', 'sh', dir, commit, tmp, ...subs], { reject: false, all: true });
  if (r.exitCode !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    return undefined;
  }
  rmSync(root, { recursive: true, force: true });
  mkdirSync(dirname(root), { recursive: true });
  renameSync(tmp, root);
  return root;
}
