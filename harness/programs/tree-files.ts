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
  // One cache dir per (commit, directory): extractions of other directories never mix in.
  const root = cacheDir('tree-files', commit.slice(0, 16), createHash('sha256').update(sub).digest('hex').slice(0, 12));
  const file = join(root, path);
  if (existsSync(file)) return file;
  const tmp = `${root}.${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const r = await execa('sh', ['-c', 'git -C "$1" archive --format=tar "$2" -- "$3" | tar -x -C "$4"', 'sh', dir, commit, sub, tmp], { reject: false, all: true });
  if (r.exitCode !== 0 || !existsSync(join(tmp, path))) {
    rmSync(tmp, { recursive: true, force: true });
    throw new BadInputError(`${scenarioFile}: program {tree: ${path}}: no such file in ${art.name}'s source tree (${commit.slice(0, 12)})${r.all ? `\n${r.all}` : ''}`, {
      hint: 'paths are relative to the top of the kernel tree, e.g. tools/sched_ext/scx_simple.bpf.c',
    });
  }
  rmSync(root, { recursive: true, force: true });
  mkdirSync(dirname(root), { recursive: true });
  renameSync(tmp, root);
  return file;
}
