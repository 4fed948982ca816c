// Host binaries go into the guest together with the shared libraries they load,
// resolved with ldd so no library list is written down by hand.
import { execa } from 'execa';
import { findCommand } from '../../../common/host-commands.js';

export interface HostBinary {
  /** Path in the guest, e.g. /bin/bpftool. */
  guestPath: string;
  /** Path on the host. */
  hostPath: string;
}

/** The shared objects `bin` loads (absolute paths, as the dynamic loader will look for them). */
export async function sharedLibraries(bin: string): Promise<string[]> {
  const r = await execa('ldd', [bin], { reject: false });
  if (r.exitCode !== 0 || /not a dynamic executable|statically linked/.test(`${r.stdout}${r.stderr}`)) return [];
  const libs: string[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line.includes('not found')) throw new Error(`${bin} needs a library the host lacks: ${line.trim()}`);
    // "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s*\(/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

/** A library by its soname, where the host's dynamic loader cache has it (for one a program dlopens, which ldd does not show). */
export async function hostLibrary(soname: string): Promise<string | undefined> {
  const ldconfig = findCommand('ldconfig');
  if (!ldconfig) return undefined;
  const r = await execa(ldconfig, ['-p'], { reject: false });
  const line = r.stdout.split('\n').find((l) => l.trim().startsWith(`${soname} `) && l.includes('x86-64'));
  return line?.split('=>')[1]?.trim();
}
