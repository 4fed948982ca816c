// The selftest loader (vm/helpers/guest/selftest/bpf-harness-selftest.c) for a kernel's tree:
// linked against that tree's libbpf (built static from tools/lib/bpf), with the tree's
// instruction printer (kernel/bpf/disasm.c and the selftests' disasm_helpers.c, as
// test_loader prints __xlated text) and its capability helpers; and the tree's own
// veristat, linked against the same libbpf. One build per tree commit, helper source and
// compiler.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InfraError } from '../../common/errors.js';
import { cacheDir, repoRoot } from '../../common/paths.js';
import { progress } from '../../common/progress.js';
import { publishOnce } from '../../common/publish.js';
import { extracted } from '../../kernels/source/tree-extract.js';
import { jobs, runMake } from '../../kernels/build/make.js';

export const SELFTEST_HELPER_SOURCE = join(repoRoot, 'vm', 'helpers', 'guest', 'selftest', 'bpf-harness-selftest.c');

const ST = 'tools/testing/selftests/bpf';
/** What libbpf's Makefile and the helper's sources need from the tree. */
const TREE_PARTS = [
  'tools/lib/bpf', 'tools/include', 'tools/scripts', 'tools/build', 'tools/arch', 'scripts/bpf_doc.py', 'include/uapi/linux/bpf.h',
  'kernel/bpf/disasm.c', 'kernel/bpf/disasm.h', `${ST}/cap_helpers.c`, `${ST}/cap_helpers.h`,
];
/** Added in 6.10 with __xlated; older trees' test_loader has no __xlated either. */
const DISASM_HELPERS = [`${ST}/disasm_helpers.c`, `${ST}/disasm_helpers.h`];
const VERISTAT = [`${ST}/veristat.c`];

export interface SelftestTools {
  loader: string;
  /** The tree's veristat, where the tree has one. */
  veristat?: string;
}

export async function selftestTools(tree: { dir: string; commit: string }): Promise<SelftestTools> {
  const cc = process.env.CC || 'gcc';
  const version = await execa(cc, ['--version'], { reject: false });
  if (version.exitCode !== 0) throw new InfraError(`${cc} is not installed; it builds the selftest loader (apt-get install build-essential)`);
  // The salt names what this file builds: bump it when that changes.
  const key = createHash('sha256').update('loader+veristat v2').update(tree.commit).update(readFileSync(SELFTEST_HELPER_SOURCE)).update(version.stdout).digest('hex').slice(0, 16);
  const dir = cacheDir('tools', `bpf-harness-selftest-${key}`);
  const bin = join(dir, 'bpf-harness-selftest');
  const read = (): SelftestTools => ({ loader: bin, ...(existsSync(join(dir, 'veristat')) ? { veristat: join(dir, 'veristat') } : {}) });
  return publishOnce(dir, bin, `building the selftest loader ${key}`, read, async (tmp) => {
    progress(`building the selftest loader against the libbpf of ${tree.commit.slice(0, 12)}`);
    // disasm_helpers exists only from 6.10 on: asked for alone, so its absence fails nothing else.
    const withDisasm = await extracted(tree.dir, tree.commit, DISASM_HELPERS);
    const src = await extracted(tree.dir, tree.commit, TREE_PARTS);
    if (!src) throw new InfraError(`the tree at ${tree.commit.slice(0, 12)} lacks the parts the selftest loader is built from (${TREE_PARTS.join(', ')})`);
    const out = join(tmp, 'libbpf') + '/';
    mkdirSync(out, { recursive: true });
    // Outside tmp, so a failed build's log outlives it.
    const log = cacheDir('build', `bpf-harness-selftest-${key}.log`);
    mkdirSync(dirname(log), { recursive: true });
    writeFileSync(log, '');
    await runMake(['-s', '-C', join(src, 'tools', 'lib', 'bpf'), `OUTPUT=${out}`, `-j${jobs()}`, `${out}libbpf.a`, 'install_headers', `DESTDIR=${join(tmp, 'root')}`, 'prefix='],
      { cwd: src, log, label: 'libbpf for the selftest loader' });
    const st = join(src, ST);
    const args = [
      '-O2', '-Wall', '-I', join(tmp, 'root', 'include'), '-I', join(src, 'tools', 'include'), '-I', join(src, 'tools', 'include', 'uapi'),
      '-I', st, '-I', join(src, 'kernel', 'bpf'), ...(withDisasm ? ['-DHAVE_DISASM_HELPERS', '-I', join(withDisasm, ST)] : []),
      '-o', join(tmp, 'bpf-harness-selftest'), SELFTEST_HELPER_SOURCE, join(st, 'cap_helpers.c'), join(src, 'kernel', 'bpf', 'disasm.c'),
      ...(withDisasm ? [join(withDisasm, ST, 'disasm_helpers.c')] : []), `${out}libbpf.a`, '-lelf', '-lz',
    ];
    const r = await execa(cc, args, { reject: false, all: true });
    writeFileSync(log, `$ ${cc} ${args.join(' ')}\n${r.all ?? ''}\n`, { flag: 'a' });
    if (r.exitCode !== 0) throw new InfraError(`building the selftest loader failed:\n${(r.all ?? '').split('\n').slice(-30).join('\n')}\n--- whole log: ${log}`);
    if (!existsSync(join(tmp, 'bpf-harness-selftest'))) throw new InfraError(`building the selftest loader produced no binary (log: ${log})`);
    const vsrc = await extracted(tree.dir, tree.commit, VERISTAT);
    if (vsrc) {
      const vargs = ['-O2', '-I', join(tmp, 'root', 'include'), '-I', join(src, 'tools', 'include'), '-I', join(src, 'tools', 'include', 'uapi'), '-I', st,
        '-o', join(tmp, 'veristat'), join(vsrc, ST, 'veristat.c'), `${out}libbpf.a`, '-lelf', '-lz', '-lm'];
      const v = await execa(cc, vargs, { reject: false, all: true });
      writeFileSync(log, `$ ${cc} ${vargs.join(' ')}\n${v.all ?? ''}\n`, { flag: 'a' });
      if (v.exitCode !== 0) throw new InfraError(`building the tree's veristat failed:\n${(v.all ?? '').split('\n').slice(-30).join('\n')}\n--- whole log: ${log}`);
    }
  });
}
