// An existing machine as a Target, over SSH: the kernel is whatever it runs, commands
// run as root (through `sudo -n` when the user is not root), kernel messages come from
// `dmesg -w` on a second channel, and it is never rebooted.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { BadInputError, InfraError } from '../../common/errors.js';
import type { Target } from '../target.js';
import { startSession, type TargetDirs, type TargetSession } from '../session.js';
import { shellQuote, SshConnection, type ExecOptions, type ExecResult } from '../transport/ssh.js';
import { knownHostsName, type SshAddress } from './address.js';
import { algorithmsFor, hostKeyCheck, knownKeys } from './known-hosts.js';
import { INPUT_LIMITS, readUserFile } from '../../common/input-file.js';

export interface SshHostOptions {
  address: SshAddress;
  /** --identity: a private key file; default the agent, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa. */
  identity?: string;
  knownHosts: string;
  acceptNewHostKey: boolean;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
/**
 * A host that just came up, or whose sshd still holds its few pre-authentication slots
 * (dropbear allows 5 per client address), drops new connections before the handshake.
 */
const CONNECT_ATTEMPTS = 10;
const CONNECT_RETRY_MS = 1500;

function credentials(opts: SshHostOptions): { privateKey?: string; agent?: string } {
  if (opts.identity) {
    if (!existsSync(opts.identity)) throw new BadInputError(`--identity ${opts.identity}: no such file`, { hint: 'name the private key file, e.g. ~/.ssh/id_ed25519' });
    const text = readUserFile(opts.identity, INPUT_LIMITS.key, 'name the private key file').toString('utf8');
    // ssh2 cannot prompt for a passphrase; its parser says so (or what else is wrong).
    const parsed = ssh2.utils.parseKey(text);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase/i.test(parsed.message);
      throw new BadInputError(`--identity ${opts.identity}: ${encrypted ? 'the key is protected by a passphrase' : `not a private key ssh2 can read (${parsed.message})`}`, {
        hint: encrypted ? 'load it into ssh-agent (ssh-add) and leave out --identity' : 'name an OpenSSH or PEM private key file',
      });
    }
    return { privateKey: text };
  }
  const agent = process.env.SSH_AUTH_SOCK || undefined;
  const file = DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k)).find((p) => existsSync(p) && !(ssh2.utils.parseKey(readFileSync(p, 'utf8')) instanceof Error));
  // ssh2 tries the agent and the key file both.
  if (agent || file) return { agent, privateKey: file && readFileSync(file, 'utf8') };
  throw new BadInputError('no SSH identity: --identity not given, no ssh-agent, no ~/.ssh/id_ed25519, id_ecdsa or id_rsa', { hint: 'pass --identity KEYFILE' });
}

export class SshHostTarget implements Target {
  readonly shared = true;
  private constructor(
    readonly describe: string,
    readonly release: string,
    private readonly ssh: SshConnection,
    /** "sudo -n " when the user is not root. */
    private readonly asRoot: string,
    private readonly session: TargetSession,
  ) {}

  static async connect(opts: SshHostOptions): Promise<SshHostTarget> {
    const { address: a } = opts;
    const describe = `ssh ${a.user}@${a.host}:${a.port}`;
    const name = knownHostsName(a);
    const known = await knownKeys(opts.knownHosts, name);
    const check = hostKeyCheck(opts.knownHosts, name, known, opts.acceptNewHostKey);
    const creds = credentials(opts);
    let ssh: SshConnection | undefined;
    for (let attempt = 1; !ssh; attempt++) {
      try {
        ssh = await SshConnection.connect({
          host: a.host, port: a.port, username: a.user, ...creds, verifyHostKey: (k) => check.verify(k), hostKeyAlgorithms: algorithmsFor(known.keys), readyTimeoutMs: 20000,
        });
      } catch (e) {
        const refused = check.refusal();
        if (refused) throw refused;
        if (attempt >= CONNECT_ATTEMPTS || /authentication/i.test((e as Error).message)) {
          throw new InfraError(`cannot connect to ${describe}: ${(e as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, CONNECT_RETRY_MS));
      }
    }
    check.commit();
    try {
      const id = await ssh.exec('id -u; uname -r', { timeoutMs: 30000 });
      const [uid, release] = id.stdout.trim().split('\n');
      let asRoot = '';
      if (uid !== '0') {
        const sudo = await ssh.exec('sudo -n true', { timeoutMs: 30000 });
        if (sudo.exit !== 0) {
          throw new InfraError(`${a.user} on ${a.host} is not root and \`sudo -n true\` failed (${(sudo.stderr || `exit ${sudo.exit}`).trim()}): ` +
            'loading BPF programs needs root; give the user passwordless sudo, or connect as root');
        }
        asRoot = 'sudo -n ';
      }
      const missing = (await ssh.exec(`${asRoot}sh -c 'command -v bpftool >/dev/null || echo bpftool; command -v setpriv >/dev/null || echo setpriv'`, { timeoutMs: 30000 })).stdout.trim();
      if (missing) throw new InfraError(`${describe} lacks ${missing.split('\n').join(' and ')} (for root's PATH): install them there (Debian: bpftool, util-linux)`);
      return new SshHostTarget(describe, release ?? '', ssh, asRoot, startSession(ssh, describe, { asRoot, shared: true }));
    } catch (e) {
      ssh.close();
      throw e;
    }
  }

  get kernelLogs() {
    return { dmesg: this.session.kernelLog.log };
  }

  ready(): Promise<TargetDirs> {
    return this.session.ready;
  }

  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
    return this.ssh.exec(this.asRoot ? `${this.asRoot}sh -c ${shellQuote(cmd)}` : cmd, opts);
  }

  /** A host has no console here: its kernel log stream stands in. */
  consoleTail(lines = 40): string {
    return this.session.kernelLog.log.lastLines(lines).join('\n');
  }

  /** The kernel log stream may still be delivering what the host printed as the connection went. */
  async settle(): Promise<void> {
    await new Promise((r) => setTimeout(r, 500));
  }

  async close(): Promise<void> {
    this.session.kernelLog.close();
    await this.session.release();
    this.ssh.close();
  }
}
