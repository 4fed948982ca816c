// Sources of kind `path`: the user's own tree, built out of tree (O=) and never modified.
// Its identity is HEAD plus a hash of uncommitted changes and untracked files.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../../common/errors.js';
import { git, type SourceTree } from './tree.js';

export async function pathSource(dir: string, recipeFile: string): Promise<SourceTree> {
  if (!existsSync(join(dir, 'Makefile')) || !existsSync(join(dir, 'Kconfig'))) {
    throw new BadInputError(`${recipeFile}: source path ${dir} is not a kernel tree (no Makefile and Kconfig)`, { file: recipeFile });
  }
  const head = await git(dir, ['rev-parse', 'HEAD'], { reject: false });
  if (head.exitCode !== 0) {
    throw new BadInputError(`${recipeFile}: source path ${dir} is not a git work tree`, {
      file: recipeFile, hint: 'the cache key needs HEAD; run `git init && git add -A && git commit` there',
    });
  }
  const h = createHash('sha256');
  h.update((await git(dir, ['diff', 'HEAD', '--binary'], { stripFinalNewline: false })).stdout);
  const untracked = (await git(dir, ['ls-files', '--others', '--exclude-standard', '-z'])).stdout.split('\0').filter(Boolean).sort();
  for (const f of untracked) h.update(`\0${f}\0`).update(readFileSync(join(dir, f)));
  const dirty = h.digest('hex').slice(0, 12);
  const commit = head.stdout.trim();
  return { dir, base: commit, identity: `path:${dir}@${commit}+${dirty}`, describe: `${dir} at ${commit.slice(0, 12)}`, owned: false };
}
