// {tree: PATH} programs: files of the kernel's own source tree (an unmodified scheduler
// from tools/sched_ext, a selftest program), taken from the commit the kernel was built
// from. The file's whole directory is extracted, so its sibling headers come along.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BadInputError } from '../errors.js';
import { cacheDir } from '../paths.js';
import type { KernelArtifacts } from '../../kernels/artifacts.js';

export async function treeFile(art: Pick<KernelArtifacts, 'name' | 'tree'>, path: string, scenarioFile: string): Promise<string> {
  if (!art.tree) {
    throw new BadInputError(`${scenarioFile}: program {tree: ${path}} needs the kernel's source tree, and ${art.name} has none`, {
      hint: 'run it on a kernel built from source (e.g. scx-6.12), or copy the file beside the scenario',
    });
  }
  const { dir, commit } = art.tree;
  const sub = dirname(path);
  const root = await extracted(dir, commit, [sub]);
  const file = root && join(root, path);
  if (!file || !existsSync(file)) {
    throw new BadInputError(`${scenarioFile}: program {tree: ${path}}: no such file in ${art.name}'s source tree (${commit.slice(0, 12)})`, {
      hint: 'paths are relative to the top of the kernel tree, e.g. tools/sched_ext/scx_simple.bpf.c',
    });
  }
  return file;
}

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
