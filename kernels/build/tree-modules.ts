// Out-of-tree modules that live in the kernel tree (tools/testing/selftests/bpf/bpf_testmod):
// built against the kernel just built, the way their own Makefile does (make -C KDIR
// M=DIR modules), from a copy of their directory so the shared tree stays clean, and
// installed beside the kernel's modules so modules.dep knows them.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BadInputError } from '../../common/errors.js';
import { jobs, runMake } from './make.js';

export async function buildTreeModules(dirs: string[], tree: string, odir: string, installRoot: string, log: string, label: string): Promise<void> {
  for (const dir of dirs) {
    const src = join(tree, dir);
    if (!existsSync(join(src, 'Makefile'))) {
      throw new BadInputError(`modules: {tree: ${dir}}: no such module directory (with a Makefile) in the kernel tree`, { hint: 'name a directory of the tree that builds with make -C KDIR M=DIR, e.g. tools/testing/selftests/bpf/bpf_testmod' });
    }
    const copy = join(odir, 'tree-modules', basename(dir));
    rmSync(copy, { recursive: true, force: true });
    mkdirSync(join(odir, 'tree-modules'), { recursive: true });
    cpSync(src, copy, { recursive: true });
    await runMake(['-C', tree, `O=${odir}`, `M=${copy}`, `-j${jobs()}`, 'modules'], { cwd: tree, log, label: `${label} (${basename(dir)})` });
    await runMake(['-C', tree, `O=${odir}`, `M=${copy}`, `INSTALL_MOD_PATH=${installRoot}`, 'modules_install'], { cwd: tree, log, label: `${label} (${basename(dir)} install)` });
  }
}
