// bpf-harness vm up | ssh | down: a guest to reproduce things by hand. `up` boots it and
// holds it in the foreground (QEMU ends with it); `ssh` and `down`, from another
// terminal, find it through a state file in the cache.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadInputError, InfraError } from '../../../common/errors.js';
import { untilSignal } from '../../../common/interrupt.js';
import { cacheDir } from '../../../common/paths.js';
import { clientKey } from '../../../vm/transport/keys.js';
import { checkKernels } from '../../../kernels/resolve.js';
import { ensureCacheWritable } from '../../../common/writable-dir.js';
import { backendFor } from '../../../vm/backends/index.js';
import { loadCrashPolicy } from '../../../vm/crash/policy.js';
import type { LoginInfo } from '../../../vm/target.js';

interface VmState {
  pid: number;
  kernel: string;
  release: string;
  port: number;
  key: string;
  knownHosts: string;
  console: string;
}

const stateFile = () => cacheDir('vm', 'up.json');

/** Whether pid is still the `vm up` (or `run --keep-failed`) that wrote the state (a reused pid is some other program). */
const alive = (pid: number) => {
  try {
    return /\bvm\0up\b|\0--keep-failed\b/.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
  } catch {
    return false;
  }
};

/** The guest `vm up` holds, or bad input saying how to get one. */
function upState(): VmState {
  const f = stateFile();
  const s = existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as VmState) : undefined;
  if (!s || !alive(s.pid)) throw new BadInputError('no guest is up', { hint: 'start one with `bpf-harness vm up [--kernel NAME]` in another terminal' });
  return s;
}

/**
 * Holds a guest for a person until Ctrl-C or `vm down`: writes the state `vm ssh` reads
 * (unless a `vm up` already holds one), prints the ssh command, and closes it at the end.
 */
export async function holdForLogin(info: LoginInfo, close: () => Promise<void>, heading: string): Promise<void> {
  const f = stateFile();
  const other = existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as VmState) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bpf-harness-vm-'));
  const key = await clientKey();
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${info.port} ${info.hostKey}\n`);
  const mine = !other || !alive(other.pid);
  // Ctrl-C (or vm down) stops the guest; the scratch dir and our state go on exit, however it comes.
  process.on('exit', () => {
    rmSync(dir, { recursive: true, force: true });
    if (mine) rmSync(f, { force: true });
  });
  if (mine) {
    const state: VmState = { pid: process.pid, kernel: info.describe, release: info.release, port: info.port, key: key.privateKeyPath, knownHosts, console: info.console ?? '' };
    mkdirSync(cacheDir('vm'), { recursive: true });
    writeFileSync(f, JSON.stringify(state, null, 2));
  }
  process.stdout.write(
    `${heading}${info.console ? `; console log: ${info.console}` : ''}\n` +
      `  ssh -i ${key.privateKeyPath} -o UserKnownHostsFile=${knownHosts} -p ${info.port} root@127.0.0.1\n` +
      (mine ? '  (or: bpf-harness vm ssh [COMMAND...])\n' : `  (vm ssh reaches the guest of vm up, pid ${other!.pid}, not this one)\n`) +
      `Press Ctrl-C${mine ? ', or run bpf-harness vm down,' : ''} to stop it.\n`,
  );
  await untilSignal();
  await close();
}

/** vm up: a guest of the kernel from the QEMU backend (through the registry, as run gets its guests), held for a person. */
export async function vmUp(kernel: string, flags: Record<string, unknown>): Promise<number> {
  const target = backendFor('qemu', flags);
  checkKernels([kernel]);
  ensureCacheWritable();
  const f = stateFile();
  if (existsSync(f)) {
    const s = JSON.parse(readFileSync(f, 'utf8')) as VmState;
    if (alive(s.pid)) throw new BadInputError(`a guest is already up (${s.kernel}, pid ${s.pid})`, { hint: 'use it with `bpf-harness vm ssh`, or stop it with `bpf-harness vm down`' });
  }
  const dir = mkdtempSync(join(tmpdir(), 'bpf-harness-vm-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const pool = await target.backend.open(target.config, kernel, { outDir: dir, policy: loadCrashPolicy() });
  const guest = await pool.acquire(1, 1, { network: false });
  const info = guest.loginInfo?.();
  if (!info) throw new InfraError(`${guest.describe} offers no login`);
  await holdForLogin({ ...info, describe: pool.kernel.name }, async () => {
    await guest.close();
    await pool.close();
  }, `guest ${pool.kernel.name} (${guest.release}) is up (files in ${dir} while it runs)`);
  return 0;
}

/**
 * ssh's words for a connection that ended before the key exchange: nothing ran in the
 * guest, so it may be tried again. A busy guest under TCG (or QEMU's user-mode network
 * giving up on reaching it) drops a connection so now and then.
 */
const BEFORE_LOGIN = /kex_exchange_identification|Connection (closed|reset) by (remote host|127\.0\.0\.1)|ssh_exchange_identification/;
const SSH_TRIES = 3;

/** OpenSSH into the guest: a shell, or the command given; its exit status is ours. */
export async function vmSsh(command: string[]): Promise<number> {
  const s = upState();
  for (let attempt = 1; ; attempt++) {
    const ssh = execa('ssh', [
      '-i', s.key, '-o', `UserKnownHostsFile=${s.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'LogLevel=ERROR',
      '-p', String(s.port), ...(command.length ? [] : ['-t']), 'root@127.0.0.1', ...command,
    ], { stdin: 'inherit', stdout: 'inherit', stderr: 'pipe', reject: false });
    // ssh's own messages and the command's stderr, as they come; kept to tell a dropped connection.
    let err = '';
    ssh.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      process.stderr.write(d);
    });
    const r = await ssh;
    if (r.exitCode !== 255 || !BEFORE_LOGIN.test(err) || attempt === SSH_TRIES) return r.exitCode ?? 255;
    process.stderr.write(`bpf-harness: the guest's SSH server closed the connection before the login (${attempt} of ${SSH_TRIES}); trying again\n`);
    await new Promise((res) => setTimeout(res, 1000));
  }
}

export async function vmDown(): Promise<number> {
  const s = upState();
  process.kill(s.pid, 'SIGINT');
  for (let i = 0; i < 100 && alive(s.pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(s.pid)) process.kill(s.pid, 'SIGKILL');
  process.stdout.write(`guest ${s.kernel} (pid ${s.pid}) stopped\n`);
  return 0;
}
