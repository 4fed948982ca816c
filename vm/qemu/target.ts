// A QEMU guest as a Target: -nodefaults, serial console to a log file, user-mode
// network with SSH forwarded on 127.0.0.1, ready when an SSH command has run.
import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BootError, InfraError } from '../../common/errors.js';
import { progress } from '../../common/progress.js';
import type { Target } from '../../harness/target.js';
import { startSession, type TargetDirs, type TargetSession } from '../../harness/target-session.js';
import { clientKey } from '../../harness/transport/keys.js';
import { SshConnection, type ExecOptions, type ExecResult } from '../../harness/transport/ssh.js';
import type { KernelArtifacts } from '../../kernels/artifacts.js';
import { loadCrashPolicy, type CrashPolicy } from '../crash/policy.js';
import { findCrash } from '../crash/scan.js';
import type { GuestImage } from '../image/build.js';
import { ACCEL_ARGS, type Accel } from './accel.js';
import { ConsoleLog } from './console.js';
import { freePort } from './ports.js';
import { spawnGuarded } from '../../common/processes.js';

export interface QemuOptions {
  accel: Accel;
  memoryMiB?: number;
  cpus?: number;
  /** Directory for console.log. */
  logDir: string;
  bootTimeoutMs?: number;
  /** Extra kernel command line (--append). */
  append?: string;
  /** The guest may reach the host and beyond; otherwise user-mode networking is restrict=on (only the forwarded SSH port comes in). */
  network?: boolean;
  /** Names a boot failure from the console; the shipped policy unless given. */
  crashPolicy?: CrashPolicy;
}

export const DEFAULT_MEMORY_MIB = 256;

/** Kernel command line: console on the serial port, no reboot loops, quiet boot (serial output is slow under TCG). */
const BASE_APPEND = 'console=ttyS0 rdinit=/init panic=-1 quiet loglevel=4 no_timer_check tsc=reliable random.trust_cpu=on';

export function qemuArgs(kernel: KernelArtifacts, image: GuestImage, opts: QemuOptions, port: number): string[] {
  return [
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    ...ACCEL_ARGS[opts.accel],
    '-m', String(opts.memoryMiB ?? DEFAULT_MEMORY_MIB),
    '-smp', String(opts.cpus ?? 2),
    '-serial', 'stdio',
    '-kernel', kernel.bzImage,
    '-initrd', image.initramfs,
    '-append', `${BASE_APPEND} ${opts.append ?? ''}`.trim(),
    // restrict=on: nothing the guest runs reaches the host's loopback services or anything
    // outside; the forwarded port still comes in.
    '-netdev', `user,id=n0,${opts.network ? '' : 'restrict=on,'}hostfwd=tcp:127.0.0.1:${port}-:22`,
    // romfile= skips the iPXE option ROM probe that SeaBIOS would otherwise run.
    '-device', 'virtio-net-pci,netdev=n0,romfile=',
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ATTEMPT_EVERY_MS = 100;
/** How long a guest that lost SSH gets to print its panic before it is judged. */
const SETTLE_MS = 3000;
/** A console silent this long after SSH dropped: the guest is not printing a crash. */
const QUIET_MS = 500;
const MAX_ATTEMPTS_IN_FLIGHT = 30;

export class QemuTarget implements Target {
  readonly shared = false;
  private constructor(
    readonly describe: string,
    readonly release: string,
    private readonly proc: ReturnType<typeof spawnGuarded>,
    private readonly ssh: SshConnection,
    private readonly console: ConsoleLog,
    readonly port: number,
    readonly bootMs: number,
    private readonly session: TargetSession,
  ) {}

  get kernelLogs() {
    return { console: this.console.lines, dmesg: this.session.kernelLog.log };
  }

  ready(): Promise<TargetDirs> {
    return this.session.ready;
  }

  /** A guest that dropped SSH is usually dying: its console's last words come before QEMU exits (-no-reboot). */
  async settle(): Promise<void> {
    const t0 = Date.now();
    let exited = false;
    void this.proc.then(() => (exited = true));
    // A panicking kernel keeps printing until it resets; a live one that merely lost
    // its SSH server goes quiet at once.
    let seen = this.console.lines.mark();
    let quietSince = Date.now();
    while (!exited && Date.now() - t0 < SETTLE_MS && Date.now() - quietSince < QUIET_MS) {
      await sleep(50);
      const now = this.console.lines.mark();
      if (now !== seen) [seen, quietSince] = [now, Date.now()];
    }
  }

  static async boot(kernel: KernelArtifacts, image: GuestImage, opts: QemuOptions): Promise<QemuTarget> {
    mkdirSync(opts.logDir, { recursive: true });
    const key = await clientKey();
    const t0 = Date.now();
    const port = await freePort();
    const cons = new ConsoleLog(join(opts.logDir, 'console.log'));
    const proc = spawnGuarded('qemu-system-x86_64', qemuArgs(kernel, image, opts, port));
    let stderr = '';
    let exited: string | undefined;
    proc.stdout?.on('data', (d: Buffer) => cons.write(d));
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    void proc.then((r) => {
      exited = `qemu exited with ${r.signal ?? `code ${r.exitCode}`}`;
    });
    const stop = async () => {
      proc.kill('SIGKILL');
      await proc;
      await cons.close();
    };
    const where = () => `${stderr.trim() ? `\nqemu stderr:\n${stderr.trim()}` : ''}\nconsole log: ${cons.path}`;
    /** QEMU itself or the guest's network set-up broke: the machine's fault. */
    const infra = async (what: string): Promise<never> => {
      await stop();
      throw new InfraError(`${what} for ${kernel.name} (${kernel.release})${where()}`, cons.lastLines(40));
    };
    /** QEMU ran, the kernel did not come up: named by the crash the policy finds on the console, as during scenarios. */
    const bootFailed = async (what: string): Promise<never> => {
      await stop();
      const crash = findCrash(cons.lines.since(0), opts.crashPolicy ?? loadCrashPolicy(), 'console');
      const title = crash?.title ?? what;
      throw new BootError(title, `boot failed: ${title} (${kernel.name}, ${kernel.release})${where()}`, cons.lastLines(40));
    };
    const timeout = opts.bootTimeoutMs ?? (opts.accel === 'kvm' ? 30000 : 60000);
    let lastErr = '';
    let ready: { ssh: SshConnection; release: string } | undefined;
    let inFlight = 0;
    // Attempts still waiting once one won are dropped: left to time out, they would hold
    // dropbear's few unauthenticated slots, and the next client (a user's ssh) is refused.
    const won = new AbortController();
    setMaxListeners(0, won.signal);
    // Until the guest listens, user-mode networking accepts a connection and then holds
    // it; so instead of waiting each attempt out, a new one starts every ATTEMPT_EVERY_MS
    // and the first that runs a command wins (later winners are closed).
    const attempt = async () => {
      inFlight++;
      try {
        const ssh = await SshConnection.connect({
          host: '127.0.0.1', port, username: 'root', privateKey: key.privateKey, hostKey: image.hostKey, readyTimeoutMs: 5000, signal: won.signal,
        });
        const r = await ssh.exec('uname -r', { timeoutMs: 10000 });
        if (r.exit !== 0 || ready) {
          ssh.close();
          if (r.exit !== 0) lastErr = `uname -r failed in the guest: ${r.stderr}`;
          return;
        }
        ready = { ssh, release: r.stdout.trim() };
      } catch (e) {
        lastErr = (e as Error).message;
      } finally {
        inFlight--;
      }
    };
    while (!ready) {
      if (exited) {
        // -no-reboot: a guest that panics or resets makes QEMU exit 0; any other exit is QEMU's own failure.
        const r = await proc;
        if (r.exitCode === 0) return bootFailed('the guest reset during boot');
        return infra(exited);
      }
      const netFail = /bpf-harness: network setup failed.*/.exec(cons.text());
      if (netFail) return infra(netFail[0].replace('bpf-harness: ', 'guest '));
      if (Date.now() - t0 > timeout) return bootFailed(`no SSH within ${timeout / 1000} s (last SSH error: ${lastErr})`);
      if (inFlight < MAX_ATTEMPTS_IN_FLIGHT) void attempt();
      await sleep(ATTEMPT_EVERY_MS);
    }
    won.abort();
    const bootMs = Date.now() - t0;
    const describe = `qemu ${kernel.name} (${opts.accel})`;
    return new QemuTarget(describe, ready.release, proc, ready.ssh, cons, port, bootMs, startSession(ready.ssh, describe));
  }

  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
    return this.ssh.exec(cmd, opts);
  }

  consoleTail(lines = 40): string {
    return this.console.lastLines(lines);
  }

  get consolePath(): string {
    return this.console.path;
  }

  async close(): Promise<void> {
    this.session.kernelLog.close();
    this.ssh.close();
    this.proc.kill('SIGKILL');
    await this.proc;
    await this.console.close();
  }
}

export async function bootGuest(kernel: KernelArtifacts, image: GuestImage, opts: QemuOptions): Promise<QemuTarget> {
  progress(`booting ${kernel.name} (${kernel.release}) under ${opts.accel.toUpperCase()}`);
  const t = await QemuTarget.boot(kernel, image, opts);
  progress(`guest ready over SSH in ${(t.bootMs / 1000).toFixed(1)}s`);
  return t;
}
