// Finding host commands the way the harness runs them: PATH first, then the sbin
// directories, which Debian leaves out of PATH for users other than root (depmod,
// dropbear and bpftool live there).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Absolute path of an executable named cmd, or undefined. An absolute cmd is checked as is. */
export function findCommand(cmd: string): string | undefined {
  if (cmd.startsWith('/')) return existsSync(cmd) ? cmd : undefined;
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SBIN]) {
    const p = join(dir, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Like findCommand, but a missing command is an error naming the Debian package to install. */
export function requireCommand(cmd: string, pkg: string): string {
  const p = findCommand(cmd);
  if (!p) throw new Error(`${cmd} not found; install the Debian package ${pkg} (bash scripts/setup.sh does)`);
  return p;
}

/** The clang BPF programs are built with (the host's; BPF_HARNESS_CLANG overrides). */
export const CLANG = process.env.BPF_HARNESS_CLANG || 'clang-19';
