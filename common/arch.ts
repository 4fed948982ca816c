// Everything that differs by CPU architecture, in one table: the rest of the pipeline asks
// it and names no architecture of its own. Only x86_64 runs today; arm64 and s390x are
// filled in from what BPF CI and Debian use (kernel-patches/vmtest's matrix, Debian's
// archive and QEMU's machines), for the kernels and guests of other architectures.

export interface ArchInfo {
  /** Debian's name for it: package architecture and kernel flavour (linux-image-*-amd64). */
  debian: string;
  /** The kernel tree's ARCH= and arch/ directory. */
  kernelArch: string;
  /** The boot image make builds, in the O= dir. */
  bootImage: string;
  /** make's target for that image. */
  bootTarget: string;
  /** CROSS_COMPILE= when the host is another architecture (Debian's cross compilers). */
  crossCompile: string;
  /** The tree's config fragment for BPF CI's selftests on it (tools/testing/selftests/bpf/config.ARCH), if any. */
  selftestsConfig?: string;
  qemu: {
    binary: string;
    /** The Debian package that ships the binary. */
    package: string;
    /** Machine and other arguments every guest gets. */
    machine: string[];
    /** -cpu under TCG and under KVM. */
    tcgCpu: string;
    kvmCpu: string;
    /** The serial console's device in the guest (console=). */
    console: string;
  };
  /** clang's define for libbpf's bpf_tracing.h (PT_REGS and friends). */
  bpfTargetArch: string;
  /** Debian's multiarch include directory (asm/ headers for -target bpf). */
  multiarchInclude: string;
  /** The name test_loader.c's __arch_* tags use. */
  selftestsArch: string;
  /** Byte order: clang's -mlittle-endian or -mbig-endian for the selftests' programs. */
  endian: 'little' | 'big';
}

export const ARCHES = {
  x86_64: {
    debian: 'amd64', kernelArch: 'x86', bootImage: 'arch/x86/boot/bzImage', bootTarget: 'bzImage', crossCompile: 'x86_64-linux-gnu-',
    selftestsConfig: 'config.x86_64',
    qemu: { binary: 'qemu-system-x86_64', package: 'qemu-system-x86', machine: [], tcgCpu: 'max', kvmCpu: 'host', console: 'ttyS0' },
    bpfTargetArch: '__TARGET_ARCH_x86', multiarchInclude: '/usr/include/x86_64-linux-gnu', selftestsArch: 'X86_64', endian: 'little',
  },
  arm64: {
    debian: 'arm64', kernelArch: 'arm64', bootImage: 'arch/arm64/boot/Image', bootTarget: 'Image', crossCompile: 'aarch64-linux-gnu-',
    selftestsConfig: 'config.aarch64',
    qemu: { binary: 'qemu-system-aarch64', package: 'qemu-system-arm', machine: ['-M', 'virt'], tcgCpu: 'max', kvmCpu: 'host', console: 'ttyAMA0' },
    bpfTargetArch: '__TARGET_ARCH_arm64', multiarchInclude: '/usr/include/aarch64-linux-gnu', selftestsArch: 'ARM64', endian: 'little',
  },
  s390x: {
    debian: 's390x', kernelArch: 's390', bootImage: 'arch/s390/boot/bzImage', bootTarget: 'bzImage', crossCompile: 's390x-linux-gnu-',
    selftestsConfig: 'config.s390x',
    qemu: { binary: 'qemu-system-s390x', package: 'qemu-system-misc', machine: ['-M', 's390-ccw-virtio'], tcgCpu: 'max', kvmCpu: 'host', console: 'ttysclp0' },
    bpfTargetArch: '__TARGET_ARCH_s390', multiarchInclude: '/usr/include/s390x-linux-gnu', selftestsArch: 'S390X', endian: 'big',
  },
} as const satisfies Record<string, ArchInfo>;

export type Arch = keyof typeof ARCHES;

/** The architecture kernels and guests have unless a recipe says otherwise (issue 24 adds `arch:`). */
export const DEFAULT_ARCH: Arch = 'x86_64';

/** What the table says of an architecture. */
export const archInfo = (arch: Arch = DEFAULT_ARCH): ArchInfo => ARCHES[arch];
