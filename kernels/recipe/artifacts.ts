// What a kernel recipe turns into: everything needed to boot it and to build programs for
// it, and its artifacts.json in the cache.
import { readFileSync, statSync, type Stats } from 'node:fs';
import type { Arch } from '../../common/arch.js';
import { progress } from '../../common/progress.js';

export interface KernelArtifacts {
  /** Recipe name, e.g. debian-6.12. */
  name: string;
  /** `uname -r` of the kernel. */
  release: string;
  /** Its CPU architecture; absent: DEFAULT_ARCH (entries cached before kernels had one). */
  arch?: Arch;
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

// Corrupt entries already reported, so that the note comes once however often it is read.
const noted = new Set<string>();

/**
 * A cache entry's artifacts.json; undefined when it is absent or corrupt (not JSON, or
 * without the fields named: a crash or a full disk mid-write, a stray edit). A corrupt
 * entry counts as absent, so it is made again, and the run says so once.
 */
export function readArtifacts<T extends KernelArtifacts>(file: string, fields: string[] = []): T | undefined {
  // Absent as existsSync says it (a missing parent, or a file where a folder should be).
  let st: Stats;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  let why: string;
  try {
    if (!st.isFile()) throw new Error('not a regular file');
    const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
    const missing = ['release', 'bzImage', 'config', ...fields].filter((f) => typeof data?.[f] !== 'string');
    if (!missing.length) return data as T;
    why = `no ${missing.join(', ')} in it`;
  } catch (e) {
    why = e instanceof SyntaxError ? `not JSON: ${e.message}` : (e as Error).message;
  }
  if (!noted.has(file)) {
    noted.add(file);
    progress(`cache entry ${file} is corrupt (${why}); treating it as absent and making it again`);
  }
  return undefined;
}
