// The tree's own tools, built from the same source as the kernel: bpftool (for the
// guest: no libLLVM, no libbfd), libbpf's headers, tools/sched_ext/include, and a
// vmlinux.h dumped from the built vmlinux's BTF.
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLANG } from '../../common/host-commands.js';
import { jobs, runMake } from './make.js';

export interface TreeTools {
  bpftool: string;
  /** -I dirs for BPF programs: libbpf headers (bpf/*.h), sched_ext's include, vmlinux.h's dir. */
  includeDirs: string[];
  /** Only when a vmlinux was given. */
  vmlinuxH?: string;
}

/**
 * Build into `odir`/tools (kept for incremental rebuilds), then copy into `out`.
 * bpftool's own BPF skeletons (prog profile, pids in prog show) need a kernel's BTF:
 * the built vmlinux, else the host's /sys/kernel/btf/vmlinux, else they are left out.
 */
export async function buildTools(tree: string, odir: string, vmlinux: string | undefined, out: string, log: string, label: string): Promise<TreeTools> {
  const toolOut = join(odir, 'tools', 'bpftool') + '/';
  mkdirSync(toolOut, { recursive: true });
  const llvmStrip = CLANG.replace(/clang/, 'llvm-strip');
  const btf = vmlinux ?? ['/sys/kernel/btf/vmlinux'].find((p) => existsSync(p));
  await runMake(
    ['-C', join(tree, 'tools', 'bpf', 'bpftool'), `-j${jobs()}`, `OUTPUT=${toolOut}`, 'feature-llvm=0', 'feature-libbfd=0',
      `CLANG=${CLANG}`, `LLVM_STRIP=${llvmStrip}`, ...(btf ? [`VMLINUX_BTF=${btf}`] : ['feature-clang-bpf-co-re=0'])],
    { cwd: tree, log, label: `${label} (bpftool)` },
  );
  const bin = join(out, 'bin');
  const inc = join(out, 'include');
  mkdirSync(bin, { recursive: true });
  mkdirSync(inc, { recursive: true });
  cpSync(join(toolOut, 'bpftool'), join(bin, 'bpftool'));
  cpSync(join(toolOut, 'libbpf', 'include', 'bpf'), join(inc, 'bpf'), { recursive: true });
  const scx = join(tree, 'tools', 'sched_ext', 'include');
  const includeDirs = [inc];
  if (existsSync(scx)) {
    cpSync(scx, join(out, 'sched_ext-include'), { recursive: true });
    includeDirs.push(join(out, 'sched_ext-include'));
  }
  if (!vmlinux) return { bpftool: join(bin, 'bpftool'), includeDirs };
  const vmlinuxH = join(inc, 'vmlinux.h');
  const dump = await execa(join(bin, 'bpftool'), ['btf', 'dump', 'file', vmlinux, 'format', 'c'], { maxBuffer: 512 * 1024 * 1024 });
  writeFileSync(vmlinuxH, dump.stdout);
  return { bpftool: join(bin, 'bpftool'), includeDirs, vmlinuxH };
}
