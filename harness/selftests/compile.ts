// Selftest sources -> objects, per kernel, the way the tree's selftests Makefile builds
// progs for test_progs: clang -O2 --target=bpf -mcpu=v3 with BPF_CFLAGS (the kernel's
// libbpf headers and vmlinux.h, the tree's tools/testing/selftests/bpf and its progs/,
// tools/include/uapi) and -DENABLE_ATOMICS_TESTS. Tree files come from the kernel's own
// commit; a user's files get the same include path, so `#include "bpf_misc.h"` finds the
// tree's copy either way.
import { archInfo, DEFAULT_ARCH, type Arch } from '../../common/arch.js';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { glob } from 'glob';
import { BadInputError } from '../../common/errors.js';
import { isInside, realPathOf } from '../../common/contained.js';
import { buildProgram, compiledObject, type BuildOptions } from '../programs/build.js';
import { extracted } from '../../kernels/source/tree-extract.js';
import type { KernelArtifacts } from '../../kernels/recipe/artifacts.js';
import type { SelftestSource } from '../scenario/types.js';
import type { LoaderRules } from './spec.js';

export const SELFTESTS_DIR = 'tools/testing/selftests/bpf';
const TREE_DIRS = [SELFTESTS_DIR, 'tools/include'];

/** __success, __failure and their _unpriv forms: the tags every test_loader program has. */
const TAGGED = /\b__(success|failure)(_unpriv)?\b/;
const isGlob = (p: string) => /[*?[{]/.test(p);

const flagsFor = (arch?: Arch) => ['-Wno-compare-distinct-pointer-types', '-DENABLE_ATOMICS_TESTS', `-m${archInfo(arch).endian}-endian`];

export interface SelftestTree {
  /** The extraction root: SELFTESTS_DIR and tools/include of the kernel's commit below it. */
  root: string;
  commit: string;
  /** What this tree's test_loader.c does, where trees differ. */
  rules: LoaderRules;
}

export interface SelftestFile {
  /** As results name it: the file's base name, e.g. verifier_and.c. */
  name: string;
  /** Path on the host. */
  path: string;
  /** Where it came from, for messages: the tree path or the path relative to the working dir. */
  origin: string;
}

export async function selftestTree(art: Pick<KernelArtifacts, 'name' | 'tree'>): Promise<SelftestTree | undefined> {
  if (!art.tree) return undefined;
  const root = await extracted(art.tree.dir, art.tree.commit, TREE_DIRS);
  // A tree from before test_loader (or without the selftests) has no rules to follow.
  if (!root || !existsSync(join(root, SELFTESTS_DIR, 'test_loader.c')) || !existsSync(join(root, SELFTESTS_DIR, 'progs', 'bpf_misc.h'))) return undefined;
  const misc = readFileSync(join(root, SELFTESTS_DIR, 'progs', 'bpf_misc.h'), 'utf8');
  const loader = readFileSync(join(root, SELFTESTS_DIR, 'test_loader.c'), 'utf8');
  return {
    root, commit: art.tree.commit,
    rules: {
      counted: /test_expect_msg="\s*XSTR\(__COUNTER__\)/.test(misc),
      // 6.1: one expect_msg (the last tag wins), no program flags of its own.
      allMsgs: !/const char \*expect_msg;/.test(loader),
      testingFlags: /testing_prog_flags\(\)/.test(loader),
    },
  };
}

/**
 * The files a scenario's selftests: list names, for this kernel's tree, in the order given
 * (each glob sorted); a string when a tree entry matches nothing here.
 */
export async function selftestFiles(sources: SelftestSource[], tree: SelftestTree): Promise<SelftestFile[] | string> {
  const files: SelftestFile[] = [];
  for (const src of sources) {
    if (typeof src === 'string') {
      files.push({ name: basename(src), path: src, origin: relative(process.cwd(), src) });
      continue;
    }
    // test_loader runs only what prog_tests hand it, and those files carry test tags: a
    // glob takes the files that use bpf_misc.h's verdict tags, as the tree counts them.
    const matched = (await glob(src.tree, { cwd: tree.root, nodir: true, posix: true })).sort();
    // Validation refused patterns whose text or braces leave the tree; a symlink in it may still.
    const out = matched.find((f) => !isInside(tree.root, join(tree.root, f)));
    if (out) throw new BadInputError(`selftests {tree: ${src.tree}}: ${out} leads to ${realPathOf(join(tree.root, out))}, outside the kernel tree`, { hint: 'name files of the tree itself' });
    const found = matched.filter((f) => !isGlob(src.tree) || TAGGED.test(readFileSync(join(tree.root, f), 'utf8')));
    // One kernel's tree may lack what another's has (6.1 has no verifier_*.c): the
    // scenario is then skipped on that kernel, with this as the reason.
    if (!found.length) return `selftests {tree: ${src.tree}} matches no ${isGlob(src.tree) ? 'tagged (__success/__failure) ' : ''}file in this kernel's tree (${tree.commit.slice(0, 12)})`;
    for (const f of found) files.push({ name: basename(f), path: join(tree.root, f), origin: f });
  }
  return files;
}

/** The selftests Makefile's include dirs from the tree, after the kernel's own headers. */
function treeIncludes(tree: SelftestTree): string[] {
  const st = join(tree.root, SELFTESTS_DIR);
  return [st, join(st, 'progs'), join(tree.root, 'tools', 'include', 'uapi')];
}

const buildOptions = (tree: SelftestTree): BuildOptions => ({ flags: flagsFor(DEFAULT_ARCH), fixed: { dirs: treeIncludes(tree), identity: tree.commit } });

/** The object compileSelftest would give, when a run compiled it already; nothing is compiled. */
export function compiledSelftest(file: SelftestFile, art: Pick<KernelArtifacts, 'includeDirs'>, tree: SelftestTree, sandbox?: string): Promise<string | undefined> {
  return compiledObject(file.path, art.includeDirs ?? [], { ...buildOptions(tree), ...ownFile(file, tree, sandbox) });
}

/** A user's own file (not the tree's) may include only what the scenario's sandbox and the include path hold. */
const ownFile = (file: SelftestFile, tree: SelftestTree, sandbox?: string) => (sandbox && !file.path.startsWith(tree.root) ? { sandbox } : {});

export type Compiled = { file: SelftestFile; object: string } | { file: SelftestFile; error: string };

/**
 * A tree file that does not build fails its file in the results (the corpus goes on); a
 * user's own file is bad input, and with `sandbox` is held to the include rule (programs/build.ts).
 */
export async function compileSelftest(file: SelftestFile, art: Pick<KernelArtifacts, 'includeDirs'>, tree: SelftestTree, sandbox?: string): Promise<Compiled> {
  try {
    return { file, object: await buildProgram(file.path, art.includeDirs ?? [], { ...buildOptions(tree), ...ownFile(file, tree, sandbox) }) };
  } catch (e) {
    if (!(e instanceof BadInputError) || !file.path.startsWith(tree.root)) throw e;
    return { file, error: e.message };
  }
}

/** __btf_path NAME.bpf.o: the selftests Makefile builds it from progs/NAME.c, so this does too. */
export async function btfObject(name: string, art: Pick<KernelArtifacts, 'includeDirs'>, tree: SelftestTree): Promise<{ object: string } | { error: string }> {
  const m = /^([A-Za-z0-9_]+)\.bpf\.o$/.exec(name);
  if (!m) return { error: 'expected NAME.bpf.o, built from the tree\'s progs/NAME.c' };
  const src = join(tree.root, SELFTESTS_DIR, 'progs', `${m[1]}.c`);
  if (!existsSync(src)) return { error: `the tree has no ${SELFTESTS_DIR}/progs/${m[1]}.c to build it from` };
  const c = await compileSelftest({ name: `${m[1]}.c`, path: src, origin: `${SELFTESTS_DIR}/progs/${m[1]}.c` }, art, tree);
  return 'error' in c ? { error: c.error } : { object: c.object };
}
