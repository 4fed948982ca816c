// Pick the accelerator by actually booting: nested KVM on these machines either aborts
// (`-cpu host`: failed to set MSR) or prints "KVM internal error" and hangs, so a
// /dev/kvm that opens proves nothing. TCG is the fallback, announced once.
import { accessSync, constants } from 'node:fs';
import { progress } from '../../harness/progress.js';
import { spawnGuarded } from './processes.js';

export type Accel = 'kvm' | 'tcg';

export const ACCEL_ARGS: Record<Accel, string[]> = {
  kvm: ['-accel', 'kvm', '-cpu', 'host'],
  tcg: ['-accel', 'tcg', '-cpu', 'max'],
};

let probed: Promise<Accel> | undefined;

function kvmOpenable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function probeKvm(bzImage: string, timeoutMs: number): Promise<{ ok: boolean; why: string }> {
  const p = spawnGuarded('qemu-system-x86_64', [
    '-nodefaults', '-no-user-config', '-display', 'none', '-m', '128', ...ACCEL_ARGS.kvm,
    '-serial', 'stdio', '-kernel', bzImage, '-append', 'console=ttyS0 panic=-1', '-no-reboot',
  ]);
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    const finish = (ok: boolean, why: string) => {
      clearTimeout(timer);
      p.kill('SIGKILL');
      resolve({ ok, why });
    };
    const timer = setTimeout(() => finish(false, `no kernel output within ${timeoutMs} ms`), timeoutMs);
    p.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Linux version')) finish(true, 'kernel printed its banner');
    });
    p.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (/KVM internal error|failed to set MSR|Could not access KVM/i.test(err)) finish(false, err.trim().split('\n')[0] ?? '');
    });
    void p.then((r) => finish(false, `qemu exited (${r.exitCode ?? r.signal}) ${err.trim().split('\n')[0] ?? ''}`));
  });
}

/** auto: KVM if a probe boot prints the kernel banner, else TCG. */
export function chooseAccel(wanted: 'auto' | Accel, bzImage: string): Promise<Accel> {
  if (wanted !== 'auto') return Promise.resolve(wanted);
  probed ??= (async () => {
    if (!kvmOpenable()) {
      progress('no usable /dev/kvm: guests run under TCG (software emulation, slower)');
      return 'tcg';
    }
    const r = await probeKvm(bzImage, 5000);
    if (r.ok) return 'kvm';
    progress(`KVM probe failed (${r.why}): guests run under TCG (software emulation, slower)`);
    return 'tcg';
  })();
  return probed;
}
