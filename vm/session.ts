// What every target gets once SSH works: a place for the run's files and pins, the reset
// helper with its sysctl baseline, and the kernel log stream on its own channel.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../common/errors.js';
import { repoRoot } from '../common/paths.js';
import { KernelLogStream } from './transport/kernel-log.js';
import { shellQuote, type SshConnection } from './transport/ssh.js';

/**
 * Where a target keeps what the run puts on it. Root writes and runs what is in `work`
 * and the helper, so they and every directory above them up to a root-owned one are
 * writable by root alone; names inside them may be predictable, since no one else can
 * make an entry there first.
 */
export interface TargetDirs {
  /** Pushed objects and the selftest loader, one subdirectory per scenario; root's alone. */
  work: string;
  /**
   * Where the unprivileged contexts (uid 1000) may write: one subdirectory per scenario,
   * made by root in this root-owned directory and then given to uid 1000. Root only
   * makes and removes them; it never writes or runs anything inside.
   */
  user: string;
  /** A directory on a bpffs for pins, one subdirectory per scenario. */
  pins: string;
  /** The reset helper (vm/helpers/guest/bpf-harness-reset); run through sh, as /run and /tmp are often noexec. */
  resetHelper: string;
}

export interface TargetSession {
  kernelLog: KernelLogStream;
  /** Resolves when the helper is in place and the stream shows only new messages. */
  ready: Promise<TargetDirs>;
  /** Gives back what the session made on the target (a host's private directory and bpffs); never throws. */
  release(): Promise<void>;
}

/** A guest is ours alone: fixed paths, on the bpffs its init mounted at /sys/fs/bpf. */
export const GUEST_DIRS: TargetDirs = { work: '/tmp/bpf-harness', user: '/tmp/bpf-harness-user', pins: '/sys/fs/bpf/bpf-harness', resetHelper: '/run/bpf-harness/reset' };

/**
 * An existing host is shared: a directory made fresh by root for this connection
 * (mktemp: a name no one can guess or take first), with root-only `work` and `user`
 * directories in it (see TargetDirs: another local user can neither add an entry that
 * redirects root's writes nor replace what root runs), and a bpffs of our own
 * mounted inside it, since the host's /sys/fs/bpf may hold no bpffs and its mounts are
 * not ours to change. The command that makes it then waits on its stdin: when the
 * harness closes the channel, or the connection dies with the harness, it unmounts the
 * bpffs (which frees what is pinned there) and removes the directory.
 */
const HOST_LEASE = [
  "trap '' HUP PIPE",
  'umask 022',
  'd=$(mktemp -d /tmp/bpf-harness.XXXXXXXX) || exit 1',
  // Readable, not writable, by the unprivileged contexts (uid 1000) that load objects from it.
  'chmod 755 "$d" && mkdir -m 755 "$d/work" "$d/user" "$d/bpffs" || { rm -rf "$d"; exit 1; }',
  'if ! mount -t bpf bpf-harness "$d/bpffs"; then rm -rf "$d"; exit 1; fi',
  'echo "lease $d"',
  'cat > /dev/null',
  // What the scenarios started (their commands carry BPF_HARNESS_PINS) ends with the connection too.
  '[ -f "$d/reset" ] && sh "$d/reset" kill-under "$d/bpffs" >/dev/null 2>&1',
  'umount "$d/bpffs" 2>/dev/null; rm -rf "$d"',
].join('\n');

/** The host's private directory, from the lease command's first line. */
function hostLease(ssh: SshConnection, describe: string, asRoot: string): { dir: Promise<string>; close(): void } {
  let out = '';
  let found!: (dir: string) => void;
  let failed!: (e: Error) => void;
  const dir = new Promise<string>((res, rej) => ([found, failed] = [res, rej]));
  const stream = ssh.stream(`${asRoot}sh -c ${shellQuote(HOST_LEASE)}`, (text) => {
    out += text;
    const m = /^lease (\/tmp\/bpf-harness\.[A-Za-z0-9]+)$/m.exec(out);
    if (m) found(m[1]!);
  });
  void stream.ended.then(() => failed(new InfraError(`making a private directory with its own bpffs on ${describe} failed: ${out.trim() || 'the command ended without saying why'}`)));
  return { dir, close: () => stream.close() };
}

/**
 * The reset helper put in place, its sysctl baseline taken, and the root-only work
 * directories made, before any scenario runs (a guest's scenarios run as uid 1000 too,
 * and one must not make them first for the next): the command and its stdin.
 */
export function helperSetup(d: TargetDirs, asRoot = ''): { cmd: string; input: Buffer } {
  const helper = shellQuote(d.resetHelper);
  const dirs = [d.work, d.user].map(shellQuote).join(' ');
  const setup = `umask 022 && mkdir -p "$(dirname ${helper})" ${dirs} && cat > ${helper} && chmod 755 ${helper} && sh ${helper} baseline`;
  return { cmd: `${asRoot}sh -c ${shellQuote(setup)}`, input: readFileSync(join(repoRoot, 'vm', 'helpers', 'guest', 'bpf-harness-reset')) };
}

export async function installHelper(ssh: SshConnection, d: TargetDirs, describe: string, asRoot = ''): Promise<void> {
  const { cmd, input } = helperSetup(d, asRoot);
  const r = await ssh.exec(cmd, { input, timeoutMs: 30000 });
  if (r.exit !== 0) throw new InfraError(`setting up ${describe} failed (exit ${r.exit}): ${(r.stderr || r.stdout).trim()}`);
}

/**
 * `asRoot` prefixes commands that need root on hosts reached as another user; `shared`
 * says the target is an existing host rather than a guest of ours; `helperInstalled`,
 * that the guest has the reset helper and its baseline already (a guest restored from a
 * snapshot saved after installHelper).
 */
export function startSession(ssh: SshConnection, describe: string, opts: { asRoot?: string; shared?: boolean; helperInstalled?: boolean } = {}): TargetSession {
  const asRoot = opts.asRoot ?? '';
  const kernelLog = new KernelLogStream(ssh, asRoot);
  const lease = opts.shared ? hostLease(ssh, describe, asRoot) : undefined;
  const dirs: Promise<TargetDirs> = lease
    ? lease.dir.then((d) => ({ work: `${d}/work`, user: `${d}/user`, pins: `${d}/bpffs`, resetHelper: `${d}/reset` }))
    : Promise.resolve(GUEST_DIRS);
  const installed = dirs.then(async (d) => {
    if (!opts.helperInstalled) await installHelper(ssh, d, describe, asRoot);
    return d;
  });
  const ready = Promise.all([installed, kernelLog.ready]).then(([d]) => d);
  // Awaited by the first scenario; until then a failure must not count as unhandled.
  ready.catch(() => {});
  const release = async () => {
    if (!lease) return;
    // Undone here while the connection is known to be up; the lease undoes it too if not.
    const d = await lease.dir.catch(() => undefined);
    if (d && ssh.isOpen) {
      const undo = `[ -f ${d}/reset ] && sh ${d}/reset kill-under ${d}/bpffs >/dev/null 2>&1; umount ${d}/bpffs 2>/dev/null; rm -rf ${d}`;
      await ssh.exec(`${asRoot}sh -c ${shellQuote(undo)}`, { timeoutMs: 30000 }).catch(() => undefined);
    }
    lease.close();
  };
  return { kernelLog, ready, release };
}
