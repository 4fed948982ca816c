// A machine the steps run on: a QEMU guest, or an existing host over SSH.
// Modeled on syzkaller's vm/vmimpl: boot, ready (an SSH command ran), exec, push,
// kernel-message stream, close.
import type { LineLog } from './crash/line-log.js';
import type { TargetDirs } from './session.js';
import type { ExecOptions, ExecResult } from './transport/ssh.js';

export interface LoginInfo {
  describe: string;
  release: string;
  /** On 127.0.0.1, as root. */
  port: number;
  /** The guest's host key line (type and key), for known_hosts. */
  hostKey: string;
  console?: string;
}

export interface Target {
  /** e.g. "qemu debian-6.12 (tcg)", "ssh root@host:22" */
  readonly describe: string;
  /** `uname -r` of the running kernel. */
  readonly release: string;
  /** An existing host others use too (its sysctls and mounts are not ours to change), rather than a guest of ours. */
  readonly shared: boolean;
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult>;
  /** The last lines the kernel printed on the console, for infrastructure errors. */
  consoleTail(lines?: number): string;
  /** Kernel messages as they arrive: the serial console (guests only) and the kernel log stream. */
  readonly kernelLogs: { console?: LineLog; dmesg: LineLog };
  /** Resolves once the target is set up for scenarios (its directories made, reset baseline taken, kernel log stream open). */
  ready(): Promise<TargetDirs>;
  /** How a person logs into it with OpenSSH (a guest of ours; absent for a host of the user's): --keep-failed. */
  loginInfo?(): LoginInfo;
  /** After a lost connection: give the kernel a moment to finish printing (a guest: until QEMU exits). */
  settle(): Promise<void>;
  close(): Promise<void>;
}
