// A runner of the kernel's own tree (test_verifier, test_progs and its flavours,
// test_maps), built by the tree's selftests Makefile as BPF CI builds it (statically
// linked, against that kernel's BTF and UAPI headers, with clang-19), once per tree
// commit, kernel BTF, runner and toolchain, and published in the cache. The Makefile
// writes into its own source folder (verifier/tests.h), so it runs on an extraction of
// the tree's tools/, never on the tree itself (a path: recipe's tree is the user's).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLANG } from '../../common/host-commands.js';
import { cacheDir } from '../../common/paths.js';
import { publishOnce } from '../../common/publish.js';
import { jobs, runMake } from '../../kernels/build/make.js';
import { toolchainVersions } from '../../kernels/build/cache-key.js';
import { extracted } from '../../kernels/source/tree-extract.js';
import { InfraError } from '../../common/errors.js';
import type { RunnerName } from '../scenario/types.js';

export interface BuiltRunner {
  name: RunnerName;
  /** The folder the runner runs in: its binary and what it loads beside it. */
  dir: string;
  binary: string;
  /** The tree's tools/testing/selftests/bpf at the commit built (its DENYLIST files). */
  selftests: string;
  /** The build's whole log. */
  log: string;
}

/** The make target and the binary of each runner (the flavours of test_progs are their own targets). */
const TARGET: Record<RunnerName, string> = {
  test_verifier: 'test_verifier', test_maps: 'test_maps', test_progs: 'test_progs', 'test_progs-no_alu32': 'test_progs-no_alu32', 'test_progs-cpuv4': 'test_progs-cpuv4',
};

/** What the selftests Makefile reads besides tools/: libbpf's helper generator (scripts/bpf_doc.py), the verifier's disassembler (kernel/bpf/disasm.c, linked in). */
const TREE_PARTS = ['tools', 'scripts', 'kernel/bpf'];

export interface RunnerKernel {
  name: string;
  tree: { dir: string; commit: string };
  /** A file holding the kernel's BTF (its vmlinux, or raw BTF): the Makefile's VMLINUX_BTF. */
  btf: string;
}

export async function buildRunner(runner: RunnerName, k: RunnerKernel): Promise<BuiltRunner> {
  const key = createHash('sha256').update([runner, k.tree.commit, sha(k.btf), ...(await toolchainVersions())].join('\0')).digest('hex').slice(0, 16);
  const out = cacheDir('runners', `${runner}-${key}`);
  const binary = join(out, TARGET[runner]);
  // Beside the published folder, so that a failed build's log outlives its scratch folder.
  const log = `${out}.log`;
  const label = `building ${runner} of ${k.name}'s tree`;
  const src = await extracted(k.tree.dir, k.tree.commit, TREE_PARTS);
  if (!src) throw new InfraError(`${k.name}: git cannot extract ${TREE_PARTS.join(', ')} of ${k.tree.dir} at ${k.tree.commit}`);
  const selftests = join(src, 'tools', 'testing', 'selftests', 'bpf');
  await publishOnce(out, binary, label, () => undefined, async (tmp) => {
    const headers = await uapiHeaders(k.tree);
    const dir = selftests;
    const llvm = (tool: string) => CLANG.replace(/clang/, tool);
    mkdirSync(tmp, { recursive: true });
    await runMake(['-C', dir, `-j${jobs()}`, `OUTPUT=${tmp}/`, `VMLINUX_BTF=${k.btf}`, `KHDR_INCLUDES=-isystem ${headers}`,
      'EXTRA_LDFLAGS=-static', `CLANG=${CLANG}`, `LLC=${llvm('llc')}`, `LLVM_STRIP=${llvm('llvm-strip')}`, `LLVM_CONFIG=${llvm('llvm-config')}`,
      TARGET[runner]], { cwd: dir, log, label });
    if (!existsSync(join(tmp, TARGET[runner]))) throw new InfraError(`${label}: make ended without ${TARGET[runner]}; log: ${log}`);
  });
  return { name: runner, dir: out, binary, log, selftests };
}

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** The tree's UAPI headers (make headers, out of tree: the tree is only read), once per commit; the log beside them. */
async function uapiHeaders(tree: { dir: string; commit: string }): Promise<string> {
  const out = cacheDir('uapi-headers', tree.commit.slice(0, 16));
  const inc = join(out, 'usr', 'include');
  await publishOnce(out, join(inc, 'linux', 'bpf.h'), `making the UAPI headers of ${tree.dir}`, () => undefined, async (tmp) => {
    await runMake(['-C', tree.dir, `O=${tmp}`, 'headers'], { cwd: tree.dir, log: `${out}.log`, label: 'making the UAPI headers' });
  });
  return inc;
}
