// A machine the steps run on: a QEMU guest, or (later) an existing host over SSH.
// Modeled on syzkaller's vm/vmimpl: boot, ready (an SSH command ran), exec, push, close.
import type { ExecOptions, ExecResult } from './transport/ssh.js';

export interface Target {
  /** e.g. "qemu debian-6.12 (tcg)" */
  readonly describe: string;
  /** `uname -r` of the running kernel. */
  readonly release: string;
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult>;
  push(data: Buffer, guestPath: string, mode?: number): Promise<void>;
  /** The last lines the kernel printed on the console, for infrastructure errors. */
  consoleTail(lines?: number): string;
  close(): Promise<void>;
}
