// A QEMU guest as a Target: -nodefaults, serial console to a log file, user-mode
// network with SSH forwarded on 127.0.0.1, ready when an SSH command has run; restored
// from a snapshot of an earlier boot where one fits (vm/qemu/snapshot.ts).
import type { Options } from 'execa';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BootError, InfraError } from '../../common/errors.js';
import { interruptedBy } from '../../common/interrupt.js';
import { emit, progress } from '../../common/progress.js';
import type { Target } from '../target.js';
import { GUEST_DIRS, helperSetup, installHelper, startSession, type TargetDirs, type TargetSession } from '../session.js';
import { clientKey } from '../transport/keys.js';
import { shellQuote, type ExecOptions, type ExecResult, type SshConnection } from '../transport/ssh.js';
import type { KernelArtifacts } from '../../kernels/recipe/artifacts.js';
import { loadCrashPolicy, type CrashPolicy } from '../crash/policy.js';
import { findCrash } from '../crash/scan.js';
import type { GuestImage } from './image/build.js';
import { guestHelperPath } from '../helpers/guest-helpers.js';
import { accelArgs, type Accel } from './accel.js';
import { archInfo } from '../../common/arch.js';
import { ConsoleLog } from './console.js';
import { freePort } from './ports.js';
import { Qmp } from './qmp.js';
import { findSnapshot, removeSnapshot, saveSnapshot, snapshotKey, type Snapshot } from './snapshot.js';
import { NoSshError, waitForSsh } from './ssh-ready.js';
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
  /** More QEMU arguments (--qemu-arg), after the harness's own: one argv entry each, no shell. */
  extraArgs?: string[];
  /** The guest may reach the host and beyond; otherwise user-mode networking is restrict=on (only the forwarded SSH port comes in). */
  network?: boolean;
  /** Names a boot failure from the console; the shipped policy unless given. */
  crashPolicy?: CrashPolicy;
  /** Boot the kernel even where a snapshot could be restored (--cold-boot); saves none either. */
  coldBoot?: boolean;
}

export const DEFAULT_MEMORY_MIB = 256;

/**
 * Kernel command line: console on the serial port, no reboot loops, quiet boot (serial
 * output is slow under TCG). cryptomgr.notests: the crypto self-tests take ~0.4 s of each
 * boot under TCG and test the CPU emulation, not the kernel under test.
 */
const baseAppend = (kernel: KernelArtifacts) =>
  `console=${archInfo(kernel.arch).qemu.console} rdinit=/init panic=-1 quiet loglevel=4 no_timer_check tsc=reliable random.trust_cpu=on cryptomgr.notests`;

const pvh = new Map<string, boolean>();
/**
 * What QEMU loads: a kernel with a PVH entry point (CONFIG_PVH, as Debian's) as its
 * uncompressed ELF vmlinux, which starts at once; a bzImage first decompresses itself,
 * ~0.6 s of every boot under TCG. Without KASLR's decompressor step, every guest of a
 * kernel has the same address layout.
 */
export function bootImage(kernel: KernelArtifacts): string {
  if (!kernel.vmlinux) return kernel.bzImage;
  if (!pvh.has(kernel.config)) pvh.set(kernel.config, /^CONFIG_PVH=y$/m.test(readFileSync(kernel.config, 'utf8')));
  return pvh.get(kernel.config) ? kernel.vmlinux : kernel.bzImage;
}

export function qemuArgs(kernel: KernelArtifacts, image: GuestImage, opts: QemuOptions, port: number): string[] {
  return [
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    ...archInfo(kernel.arch).qemu.machine,
    ...accelArgs(opts.accel, kernel.arch),
    '-m', String(opts.memoryMiB ?? DEFAULT_MEMORY_MIB),
    '-smp', String(opts.cpus ?? 2),
    '-serial', 'stdio',
    '-kernel', bootImage(kernel),
    '-initrd', image.initramfs,
    '-append', `${baseAppend(kernel)} ${opts.append ?? ''}`.trim(),
    // restrict=on: nothing the guest runs reaches the host's loopback services or anything
    // outside; the forwarded port still comes in.
    '-netdev', `user,id=n0,${opts.network ? '' : 'restrict=on,'}hostfwd=tcp:127.0.0.1:${port}-:22`,
    // romfile= skips the iPXE option ROM probe that SeaBIOS would otherwise run.
    '-device', 'virtio-net-pci,netdev=n0,romfile=',
    ...(opts.extraArgs ?? []),
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a guest that lost SSH gets to print its panic before it is judged. */
const SETTLE_MS = 3000;
/** A console silent this long after SSH dropped: the guest is not printing a crash. */
const QUIET_MS = 500;
/**
 * A restore that is not SSH-ready by then has gone wrong: a cold boot is the surer way.
 * Under TCG on a loaded host (load 8 on 2 cores, a whole suite beside it) a good restore
 * took over 15 s: still far quicker than the cold boot that would follow.
 */
const RESTORE_TIMEOUT_MS = { kvm: 15000, tcg: 45000 };
/** After the SSH session that proved the guest ready is closed, the guest's server process gets this long to end before the guest is saved. */
const SESSION_END_MS = 200;
/** Bytes of fresh randomness a restored guest gets from the host. */
const SEED_BYTES = 64;

/** A restore that did not work; the caller boots cold instead. */
class RestoreFailed extends Error {
  constructor(message: string, readonly snapshotUnusable: boolean) {
    super(message);
  }
}

/** A guest's console.log renamed, before the next start in the same dir writes its own; the new path, if there was one. */
function keepConsole(logDir: string, as: string): string | undefined {
  const from = join(logDir, 'console.log');
  if (!existsSync(from)) return undefined;
  renameSync(from, join(logDir, as));
  return join(logDir, as);
}

type SnapshotId = { key: string; qemu: string; args: string[] };
type BootMode = { restore: Snapshot } | { saveAs?: SnapshotId };

export class QemuTarget implements Target {
  readonly shared = false;
  private constructor(
    readonly describe: string,
    readonly release: string,
    private readonly proc: ReturnType<typeof spawnGuarded>,
    private readonly ssh: SshConnection,
    private readonly console: ConsoleLog,
    readonly port: number,
    private readonly hostKey: string,
    readonly bootMs: number,
    private readonly session: TargetSession,
    /** The snapshot this guest was restored from. */
    readonly restoredFrom?: Snapshot,
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

  /**
   * A guest from the snapshot for this kernel, image and QEMU line when there is one
   * (unless opts.coldBoot); else a cold boot, which saves that snapshot for the next.
   * A restore that fails says why and boots cold.
   */
  static async boot(kernel: KernelArtifacts, image: GuestImage, opts: QemuOptions): Promise<QemuTarget> {
    if (opts.coldBoot) return QemuTarget.cold(kernel, image, opts, {});
    // Port 0: the port SSH is forwarded from is each guest's own, and no part of the saved guest.
    const args = qemuArgs(kernel, image, opts, 0);
    // The reset helper and its baseline are set up before the save: a new helper needs a new snapshot.
    const setup = helperSetup(GUEST_DIRS);
    const id = { ...snapshotKey(kernel, image, opts.accel, [...args, setup.cmd, setup.input.toString('base64')]), args };
    const snap = findSnapshot(id.key);
    if (!snap) return QemuTarget.cold(kernel, image, opts, { saveAs: id });
    try {
      return await QemuTarget.start(kernel, image, opts, { restore: snap });
    } catch (e) {
      // Stopped by Ctrl-C or SIGTERM, not broken: nothing to boot instead.
      if (!(e instanceof RestoreFailed) || interruptedBy()) throw e;
      if (e.snapshotUnusable) removeSnapshot(snap);
      // The restore's console stays beside the cold boot's, to tell why it failed.
      const kept = keepConsole(opts.logDir, 'console-restore.log');
      progress(`restoring ${kernel.name} from snapshot ${snap.meta.key} failed (${e.message}); booting cold${e.snapshotUnusable ? ' and saving a new snapshot' : ''}${kept ? ` (the restore's console: ${kept})` : ''}`);
      return QemuTarget.cold(kernel, image, opts, e.snapshotUnusable ? { saveAs: id } : {});
    }
  }

  /**
   * A cold boot, tried once more when the kernel crashed or reset on the way up: under TCG a
   * good kernel has been seen to die in early boot now and then (an int3 Oops while the kernel
   * patched its own text, CI 2026-12-07). The failed boot's console log is kept beside the next.
   * A kernel that fails twice is a BootError with tries: 2, which callers do not retry again.
   */
  private static async cold(kernel: KernelArtifacts, image: GuestImage, opts: QemuOptions, mode: { saveAs?: SnapshotId }): Promise<QemuTarget> {
    try {
      return await QemuTarget.start(kernel, image, opts, mode);
    } catch (e) {
      if (!(e instanceof BootError) || interruptedBy()) throw e;
      const kept = keepConsole(opts.logDir, 'console-boot-1.log');
      progress(`${kernel.name}: ${e.message.split('\n')[0]}; booting once more${kept ? ` (the failed boot's console: ${kept})` : ''}`);
      try {
        return await QemuTarget.start(kernel, image, opts, mode);
      } catch (again) {
        if (again instanceof BootError) again.tries = 2;
        throw again;
      }
    }
  }

  private static async start(kernel: KernelArtifacts, image: GuestImage, opts: QemuOptions, mode: BootMode): Promise<QemuTarget> {
    mkdirSync(opts.logDir, { recursive: true });
    const restore = 'restore' in mode ? mode.restore : undefined;
    const saveAs = 'saveAs' in mode ? mode.saveAs : undefined;
    const key = await clientKey();
    const t0 = Date.now();
    const port = await freePort();
    const cons = new ConsoleLog(join(opts.logDir, 'console.log'));
    const args = qemuArgs(kernel, image, opts, port);
    // The stream comes in on fd 3, so no path reaches a shell.
    let stream: number | undefined;
    if (restore) {
      cons.write(Buffer.from(`bpf-harness: restored from snapshot ${restore.dir} (saved ${restore.meta.savedAt} after a cold boot of ${restore.meta.kernel}, ${restore.meta.release}); the boot messages are in dmesg\n`));
      try {
        stream = openSync(restore.state, 'r');
      } catch (e) {
        await cons.close();
        throw new RestoreFailed(`cannot open ${restore.state}: ${(e as Error).message}`, false);
      }
      args.push('-incoming', 'fd:3');
    }
    // QMP (to save the snapshot) on a socket of its own: unix socket paths are short, cache paths may not be.
    const qmpDir = saveAs ? mkdtempSync(join(tmpdir(), 'bpf-harness-qmp-')) : undefined;
    if (qmpDir) args.push('-qmp', `unix:${join(qmpDir, 'qmp.sock')},server=on,wait=off`);
    // execa hands a number at fd 3 on as that descriptor of ours (its types list only 3 to 9).
    const stdio = ['ignore', 'pipe', 'pipe', ...(stream !== undefined ? [stream] : [])] as unknown as Options['stdio'];
    // The whole command line beside the console log, to start the same guest by hand.
    writeFileSync(join(opts.logDir, 'qemu-cmdline.txt'),
      `${[archInfo(kernel.arch).qemu.binary, ...args].map(shellQuote).join(' ')}\n${restore ? `# fd 3: the snapshot stream, ${restore.state}\n` : ''}`);
    const proc = spawnGuarded(archInfo(kernel.arch).qemu.binary, args, 'KILL', { reject: false, buffer: false, stdio });
    if (stream !== undefined) closeSync(stream);
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
      if (qmpDir) rmSync(qmpDir, { recursive: true, force: true });
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
    /** Whatever went wrong in a restore, a cold boot is tried next. */
    const restoreFailed = async (what: string, snapshotUnusable = false): Promise<never> => {
      await stop();
      throw new RestoreFailed(`${what}${stderr.trim() ? `; qemu: ${stderr.trim().split('\n').slice(-2).join(' ')}` : ''}`, snapshotUnusable);
    };
    const check = async () => {
      if (exited) {
        const r = await proc;
        // A stream QEMU cannot load makes it exit non-zero at once.
        if (restore) return restoreFailed(exited, r.exitCode !== 0);
        // -no-reboot: a guest that panics or resets makes QEMU exit 0; any other exit is QEMU's own failure.
        if (r.exitCode === 0) return bootFailed('the guest reset during boot');
        return infra(exited);
      }
      const netFail = /bpf-harness: network setup failed.*/.exec(cons.text());
      if (netFail) return infra(netFail[0].replace('bpf-harness: ', 'guest '));
    };
    // A restored guest first takes the host's clock and randomness, in the command that proves it ready.
    const command = restore ? resumeCommand : undefined;
    const sshWait = (timeoutMs: number) => waitForSsh({ port, privateKey: key.privateKey, hostKey: image.hostKey, timeoutMs, check, command }).catch((e: Error) => {
      if (!(e instanceof NoSshError)) throw e;
      return restore ? restoreFailed(e.message) : bootFailed(e.message);
    });
    const bootTimeoutMs = opts.bootTimeoutMs ?? (opts.accel === 'kvm' ? 30000 : 60000);
    let ready = await sshWait(restore ? RESTORE_TIMEOUT_MS[opts.accel === 'kvm' ? 'kvm' : 'tcg'] : bootTimeoutMs);
    const bootMs = Date.now() - t0;
    const describe = `qemu ${kernel.name} (${opts.accel})`;
    if (saveAs && qmpDir) {
      // Not scenario-specific, and ~0.1 s of guest CPU per guest: done once, before the save.
      await installHelper(ready.ssh, GUEST_DIRS, describe).catch((e: Error) => infra(e.message));
      const saved = await QemuTarget.save(ready.ssh, join(qmpDir, 'qmp.sock'), saveAs, kernel, image, opts.accel, bootMs);
      rmSync(qmpDir, { recursive: true, force: true });
      if (saved) {
        // The session that proved readiness was closed before the save (no guest keeps it); a new one for the run.
        ready = await sshWait(bootTimeoutMs);
      }
    }
    const session = startSession(ready.ssh, describe, { helperInstalled: !!(restore || saveAs) });
    return new QemuTarget(describe, ready.release, proc, ready.ssh, cons, port, image.hostKey, bootMs, session, restore);
  }

  /**
   * Save the guest as its snapshot; true when its SSH session was closed for that (the
   * caller opens a new one). A failed save is said and changes nothing else.
   */
  private static async save(ssh: SshConnection, qmpSocket: string, id: SnapshotId, kernel: KernelArtifacts, image: GuestImage, accel: Accel, bootMs: number): Promise<boolean> {
    let qmp: Qmp | undefined;
    try {
      qmp = await Qmp.open(qmpSocket);
      const t = Date.now();
      // No SSH session may be part of the snapshot: restored guests would each hold a dead one.
      ssh.close();
      await sleep(SESSION_END_MS);
      const s = await saveSnapshot(qmp, id.key, {
        kernel: kernel.name, release: kernel.release, bzImage: kernel.bzImage, image: image.hash, accel, qemu: id.qemu, args: id.args, bootMs,
      });
      if (s) progress(`saved snapshot ${s.meta.key} of ${kernel.name} (${(s.meta.bytes / 1e6).toFixed(0)} MB) in ${((Date.now() - t) / 1000).toFixed(1)}s; later guests start from it`);
      return true;
    } catch (e) {
      progress(`saving a snapshot of ${kernel.name} failed (${(e as Error).message}); guests keep booting cold`);
      return !ssh.isOpen;
    } finally {
      qmp?.close();
    }
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

  loginInfo() {
    return { describe: this.describe, release: this.release, port: this.port, hostKey: this.hostKey, console: this.console.path };
  }

  async close(): Promise<void> {
    this.session.kernelLog.close();
    this.ssh.close();
    this.proc.kill('SIGKILL');
    await this.proc;
    await this.console.close();
  }
}

/** After a restore: the host's time, and fresh randomness, so guests from one snapshot do not share their random numbers. */
function resumeCommand(): { cmd: string; input: Buffer } {
  const now = Date.now();
  return { cmd: `${guestHelperPath('resume')} ${Math.floor(now / 1000)} ${(now % 1000) * 1e6} && uname -r`, input: randomBytes(SEED_BYTES) };
}

export async function bootGuest(kernel: KernelArtifacts, image: GuestImage, opts: QemuOptions): Promise<QemuTarget> {
  progress(`booting ${kernel.name} (${kernel.release}) under ${opts.accel.toUpperCase()}`);
  emit({ type: 'boot', phase: 'start', kernel: kernel.name, mode: opts.coldBoot ? 'cold' : 'restore' });
  try {
    const t = await QemuTarget.boot(kernel, image, opts);
    const mode = t.restoredFrom ? 'restore' : 'cold';
    emit({ type: 'boot', phase: 'end', kernel: kernel.name, mode, ms: t.bootMs, ...(t.restoredFrom ? { why: `restored from snapshot ${t.restoredFrom.meta.key}` } : {}) });
    return t;
  } catch (e) {
    emit({ type: 'boot', phase: 'failed', kernel: kernel.name, mode: 'cold', why: (e as Error).message.split('\n')[0] });
    throw e;
  }
}
