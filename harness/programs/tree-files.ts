// {tree: PATH} programs: files of the kernel's own source tree (an unmodified scheduler
// from tools/sched_ext, a selftest program), taken from the commit the kernel was built
// from. The file's whole directory is extracted, so its sibling headers come along.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BadInputError } from '../../common/errors.js';
import type { KernelArtifacts } from '../../kernels/recipe/artifacts.js';
import { extracted } from '../../kernels/source/tree-extract.js';

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
