// A runner of the kernel's own tree (test_verifier, test_progs and its flavours,
// test_maps), built by the tree's selftests Makefile as BPF CI builds it (statically
// linked, against that kernel's BTF and UAPI headers, with clang-19), once per tree
// commit, kernel BTF, runner and toolchain, and published in the cache. The Makefile
// writes into its own source folder (verifier/tests.h), so it runs on an extraction of
// the tree's tools/, never on the tree itself (a path: recipe's tree is the user's).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { join } from 'node:path';
import { CLANG } from '../../common/host-commands.js';
import { elfSection } from '../../common/elf-section.js';
import { testsInFile } from './test-progs.js';
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
  /** The runner's name in its folder (test_progs-no_alu32): a flavour finds its objects in the subfolder named after it. */
  target: string;
  /** test_progs: its tests in number order (the build's prog_tests/tests.h). */
  testList?: string;
  /** Tests of the tree that do not compile there, left out of the build: each reported failed with the compiler's words. */
  unbuildable: Unbuildable[];
}

export interface Unbuildable {
  test: string;
  file: string;
  error: string;
}

/** The make target and the binary of each runner (the flavours of test_progs are their own targets). */
const TARGET: Record<RunnerName, string> = {
  test_verifier: 'test_verifier', test_maps: 'test_maps', test_progs: 'test_progs', 'test_progs-no_alu32': 'test_progs-no_alu32', 'test_progs-cpuv4': 'test_progs-cpuv4',
};

/** What the selftests Makefile reads besides tools/: libbpf's helper generator (scripts/bpf_doc.py), the verifier's disassembler (kernel/bpf/disasm.c, linked in). */
export const TREE_PARTS = ['tools', 'scripts', 'kernel/bpf'];

/** The Makefile's TRUNNER_EXTRA_FILES of test_progs (6.12) without its .ko files; make expands it. */
const EXTRA_BUILT = ['urandom_read', 'liburandom_read.so', 'xdp_synproxy', 'sign-file', 'uprobe_multi'];
const EXTRA_NAMES = [...EXTRA_BUILT, 'ima_setup.sh', 'verify_sig_setup.sh'];
const EXTRA_FILES = EXTRA_BUILT.map((f) => `$(OUTPUT)/${f}`)
  .concat(['ima_setup.sh', 'verify_sig_setup.sh', '$(wildcard progs/btf_dump_test_case_*.c)', '$(wildcard progs/*.bpf.o)']).join(' ');

export interface RunnerKernel {
  name: string;
  tree: { dir: string; commit: string };
  /** A file holding the kernel's BTF (its vmlinux, or raw BTF): the Makefile's VMLINUX_BTF. */
  btf: string;
}

export async function buildRunner(runner: RunnerName, k: RunnerKernel): Promise<BuiltRunner> {
  const key = createHash('sha256').update([runner, k.tree.commit, btfSha(k.btf), ...(await toolchainVersions())].join('\0')).digest('hex').slice(0, 16);
  const out = cacheDir('runners', `${runner}-${key}`);
  const binary = join(out, TARGET[runner]);
  // Beside the published folder, so that a failed build's log outlives its scratch folder.
  const log = `${out}.log`;
  const label = `building ${runner} of ${k.name}'s tree`;
  const src = await extracted(k.tree.dir, k.tree.commit, TREE_PARTS);
  if (!src) throw new InfraError(`${k.name}: git cannot extract ${TREE_PARTS.join(', ')} of ${k.tree.dir} at ${k.tree.commit}`);
  const selftests = join(src, 'tools', 'testing', 'selftests', 'bpf');
  const payload = join(out, PAYLOAD);
  await publishOnce(out, payload, label, () => undefined, async (tmp) => {
    const headers = await uapiHeaders(k.tree);
    const dir = selftests;
    const llvm = (tool: string) => CLANG.replace(/clang/, tool);
    mkdirSync(tmp, { recursive: true });
    await makeLeavingOut(selftests, tmp, log, (attempt) => runMake(['-C', dir, `-j${jobs()}`, `OUTPUT=${tmp}/`, `VMLINUX_BTF=${k.btf}`, `KHDR_INCLUDES=-isystem ${headers}`,
      'EXTRA_LDFLAGS=-static',
      // Without LLVM's C API (llvm-19-dev): the tests that read the JIT's disassembly (__jited) skip, and the binary stays small enough to push.
      'feature-llvm=0',
      // test_progs' extra files but the modules: those come built with the kernel (its recipe's modules:), as its make -C KDIR needs a configured tree.
      `TRUNNER_EXTRA_FILES=${EXTRA_FILES}`,
      `CLANG=${CLANG}`, `LLC=${llvm('llc')}`, `LLVM_STRIP=${llvm('llvm-strip')}`, `LLVM_CONFIG=${llvm('llvm-config')}`,
      TARGET[runner]], { cwd: dir, log, label: attempt ? `${label}, leaving out what does not compile` : label }));
    if (!existsSync(join(tmp, TARGET[runner]))) throw new InfraError(`${label}: make ended without ${TARGET[runner]}; log: ${log}`);
    if (runner.startsWith('test_progs')) copyFileSync(join(selftests, 'prog_tests', 'tests.h'), join(tmp, 'tests.h'));
    await packPayload(tmp, runner, TARGET[runner]);
  });
  return {
    name: runner, dir: out, binary, log, selftests, target: TARGET[runner], unbuildable: readUnbuildable(selftests),
    ...(runner.startsWith('test_progs') ? { testList: readFileSync(join(out, 'tests.h'), 'utf8') } : {}),
  };
}

/** What the guest gets: the runner, and for test_progs the objects and helpers it opens from its folder (a flavour's in its subfolder). */
const PAYLOAD = 'payload.tar';

async function packPayload(out: string, runner: RunnerName, binary: string): Promise<void> {
  const flavour = runner.startsWith('test_progs-') ? runner.slice('test_progs-'.length) : undefined;
  const objDir = flavour ? join(out, flavour) : out;
  const files = runner.startsWith('test_progs')
    ? readdirSync(objDir).filter((f) => f.endsWith('.bpf.o') || EXTRA_NAMES.includes(f) || /^btf_dump_test_case_.*\.c$/.test(f)).map((f) => (flavour ? `${flavour}/${f}` : f))
    : [];
  await execa('tar', ['-cf', join(out, PAYLOAD), '-C', out, binary, ...files]);
}

/** Where the tree's tests that do not compile are kept, out of the build's way, with why (in the extraction, for every flavour). */
const UNBUILDABLE = 'prog_tests.unbuildable';

export const readUnbuildable = (selftests: string): Unbuildable[] => {
  const f = join(selftests, UNBUILDABLE, 'why.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Unbuildable[]) : [];
};

/**
 * make, and where a prog_tests file does not compile in this tree (a stable backport of a
 * test without the BPF program it needs), that file moved aside and make again: one
 * broken test does not cost the runner. Anything else that fails stays a failed build.
 */
async function makeLeavingOut(selftests: string, out: string, log: string, make: (attempt: number) => Promise<unknown>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const from = existsSync(log) ? statSync(log).size : 0;
    try {
      await make(attempt);
      return;
    } catch (e) {
      const text = readFileSync(log, 'utf8').slice(from);
      const broken = new Map<string, string>();
      for (const m of text.matchAll(/\/prog_tests\/([A-Za-z0-9_]+)\.c:\d+:\d+: (?:fatal )?error: (.*)/g)) if (!broken.has(m[1]!)) broken.set(m[1]!, m[0]!.slice(m[0]!.indexOf('prog_tests/')));
      if (!broken.size || attempt >= 3) throw e;
      const aside = join(selftests, UNBUILDABLE);
      mkdirSync(aside, { recursive: true });
      const why = readUnbuildable(selftests);
      for (const [file, error] of broken) {
        const src = join(selftests, 'prog_tests', `${file}.c`);
        const tests = testsInFile(readFileSync(src, 'utf8'));
        renameSync(src, join(aside, `${file}.c`));
        why.push(...tests.map((test) => ({ test, file: `prog_tests/${file}.c`, error })));
      }
      writeFileSync(join(aside, 'why.json'), JSON.stringify(why, null, 2));
      // The generated list of tests still names them; the objects' dependency files name headers relative to the output folder, which make then cannot find.
      rmSync(join(selftests, 'prog_tests', 'tests.h'), { force: true });
      for (const d of readdirSync(out).filter((f) => f.endsWith('.d'))) rmSync(join(out, d));
    }
  }
}

/** The kernel's BTF as the key holds it: a vmlinux's .BTF section (a relink that changed no type leaves the runner as it is), or a raw BTF file whole. */
const btfSha = (f: string) => createHash('sha256').update(elfSection(f, '.BTF') ?? readFileSync(f)).digest('hex');

/** The tree's UAPI headers (make headers, out of tree: the tree is only read), once per commit; the log beside them. */
async function uapiHeaders(tree: { dir: string; commit: string }): Promise<string> {
  const out = cacheDir('uapi-headers', tree.commit.slice(0, 16));
  const inc = join(out, 'usr', 'include');
  await publishOnce(out, join(inc, 'linux', 'bpf.h'), `making the UAPI headers of ${tree.dir}`, () => undefined, async (tmp) => {
    await runMake(['-C', tree.dir, `O=${tmp}`, 'headers'], { cwd: tree.dir, log: `${out}.log`, label: 'making the UAPI headers' });
  });
  return inc;
}
