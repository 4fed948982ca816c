// Pick the accelerator by actually booting: nested KVM on these machines either aborts
// (`-cpu host`: failed to set MSR) or prints "KVM internal error" and hangs, so a
// /dev/kvm that opens proves nothing. TCG is the fallback, announced once.
import { accessSync, constants, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { archInfo, DEFAULT_ARCH, type Arch } from '../../common/arch.js';
import { requireCommand } from '../../common/host-commands.js';
import { release } from 'node:os';
import { cacheDir, cacheRoot } from '../../common/paths.js';
import { progress } from '../../common/progress.js';
import { spawnGuarded } from '../../common/processes.js';

export type Accel = 'kvm' | 'tcg';

/** What --accel takes: auto probes KVM by booting and falls back to TCG. */
export const ACCEL_CHOICES = ['auto', 'kvm', 'tcg'] as const;
export type AccelChoice = (typeof ACCEL_CHOICES)[number];

/** -accel and -cpu for a guest of the architecture. */
export const accelArgs = (accel: Accel, arch?: Arch): string[] => {
  const q = archInfo(arch).qemu;
  return ['-accel', accel, '-cpu', accel === 'kvm' ? q.kvmCpu : q.tcgCpu];
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
  // KVM runs the host's own architecture only.
  const q = archInfo(DEFAULT_ARCH).qemu;
  const p = spawnGuarded(q.binary, [
    '-nodefaults', '-no-user-config', '-display', 'none', '-m', '128', ...q.machine, ...accelArgs('kvm'),
    '-serial', 'stdio', '-kernel', bzImage, '-append', `console=${q.console} panic=-1`, '-no-reboot',
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

/**
 * Whether KVM works is a property of the host, so a probe's answer is kept for a day,
 * keyed by the host kernel, the QEMU binary and /dev/kvm: runs after the first skip the
 * probe boot (up to 5 s where KVM hangs instead of failing).
 */
function hostFingerprint(): string {
  const host = archInfo(DEFAULT_ARCH).qemu;
  const q = statSync(requireCommand(host.binary, host.package));
  const k = statSync('/dev/kvm', { throwIfNoEntry: false });
  return `${release()}|${q.size}|${q.mtimeMs}|${k?.rdev ?? 'none'}`;
}

const PROBE_TTL_MS = 24 * 3600 * 1000;

function cachedProbe(fp: string): { accel: Accel; why: string } | undefined {
  try {
    const c = JSON.parse(readFileSync(cacheDir('accel-probe.json'), 'utf8')) as { fp: string; at: number; accel: Accel; why: string };
    return c.fp === fp && Date.now() - c.at < PROBE_TTL_MS ? c : undefined;
  } catch {
    return undefined;
  }
}

/** auto: KVM if a probe boot prints the kernel banner, else TCG. */
export function chooseAccel(wanted: AccelChoice, bzImage: string): Promise<Accel> {
  if (wanted !== 'auto') return Promise.resolve(wanted);
  probed ??= (async () => {
    if (!kvmOpenable()) {
      progress('no usable /dev/kvm: guests run under TCG (software emulation, slower)');
      return 'tcg';
    }
    const fp = hostFingerprint();
    const cached = cachedProbe(fp);
    if (cached) {
      if (cached.accel === 'tcg') progress(`KVM failed its probe earlier today (${cached.why}): guests run under TCG; --accel kvm tries anyway`);
      return cached.accel;
    }
    const r = await probeKvm(bzImage, 5000);
    const accel: Accel = r.ok ? 'kvm' : 'tcg';
    mkdirSync(cacheRoot(), { recursive: true });
    writeFileSync(cacheDir('accel-probe.json'), JSON.stringify({ fp, at: Date.now(), accel, why: r.why }));
    if (!r.ok) progress(`KVM probe failed (${r.why}): guests run under TCG (software emulation, slower)`);
    return accel;
  })();
  return probed;
}
