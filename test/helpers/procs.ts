// Finds QEMU processes started by one test's harness run, by a tag in their environment
// (QEMU inherits the harness's environment), so parallel test files don't see each other's;
// and lists this machine's processes.
import { readdirSync, readFileSync } from 'node:fs';

export function qemuWithTag(tag: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // A zombie has exited; only its parent has not collected it yet.
      if (!stat.includes('(qemu-system-x86') || / Z /.test(stat.slice(stat.lastIndexOf(')')))) continue;
      if (readFileSync(`/proc/${d}/environ`).includes(`BPF_HARNESS_TEST_TAG=${tag}`)) pids.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every process of this machine with its command line and environment (NULs as spaces). */
export function processes(): { pid: number; cmd: string; env: string }[] {
  const read = (pid: string, f: string) => {
    try {
      return readFileSync(`/proc/${pid}/${f}`, 'latin1').replace(/\0/g, ' ');
    } catch {
      return '';
    }
  };
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((pid) => ({ pid: Number(pid), cmd: read(pid, 'cmdline'), env: read(pid, 'environ') }));
}
