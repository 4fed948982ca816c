// What a kernel recipe turns into: everything needed to boot it and to build programs for it.
export interface KernelArtifacts {
  /** Recipe name, e.g. debian-6.12. */
  name: string;
  /** `uname -r` of the kernel. */
  release: string;
  /** Human description of where it came from (package and version, or source hash). */
  origin: string;
  bzImage: string;
  /** The kernel's .config. */
  config: string;
  /** Root of an extracted /lib/modules/<release> tree with modules.dep, if the kernel has modules. */
  modulesDir?: string;
  /** Built kernels: the vmlinux with BTF, and the tree's own tools. */
  vmlinux?: string;
  /** bpftool for the guest, built from the same tree (else the host's). */
  bpftool?: string;
  /** -I dirs for BPF programs built for this kernel (libbpf headers, sched_ext include, vmlinux.h). */
  includeDirs?: string[];
  vmlinuxH?: string;
  /** Modules (names, e.g. bpf_testmod) its guests load at boot besides the NIC's: the recipe's modules:. */
  bootModules?: string[];
  /** The source tree it was built from (or, for Debian images, its linux-source package), for {tree: PATH} programs. */
  tree?: { dir: string; commit: string };
}
