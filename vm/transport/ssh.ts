// One ssh2 connection per target, one channel per command.
import { connect, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { CappedOutput } from './capped-output.js';
import { StringDecoder } from 'node:string_decoder';

export interface ExecResult {
  exit: number;
  stdout: string;
  /** stdout's bytes, when ExecOptions.binary asked for them (framed output with byte lengths). */
  stdoutBytes?: Buffer;
  stderr: string;
  durationMs: number;
  /** Bytes past ExecOptions.maxBytesPerStream, per stream; only when some were dropped. */
  dropped?: { stdout: number; stderr: number };
}

export interface ExecOptions {
  timeoutMs?: number;
  /** Bytes fed to the command's stdin, then EOF. */
  input?: Buffer | string;
  /** Also return stdout as bytes (ExecResult.stdoutBytes). */
  binary?: boolean;
  /** Keep at most this many bytes of stdout and of stderr each; the rest is counted and dropped (default: all kept). */
  maxBytesPerStream?: number;
  /** stdout as it arrives too (a long runner read test by test, which keeps what came before a crash). */
  onStdout?: (text: string) => void;
  /** Stops the command (KILL) and rejects with SshTimeoutError carrying the signal's reason. */
  signal?: AbortSignal;
}

export interface ConnectOptions {
  host: string;
  port: number;
  username: string;
  /** A private key (OpenSSH or PEM text); else `agent`. */
  privateKey?: string;
  /** An ssh-agent socket (SSH_AUTH_SOCK). */
  agent?: string;
  /** Pinned host key, OpenSSH public line; anything else is refused. */
  hostKey?: string;
  /** Host key algorithms to offer, most wanted first (default: ssh2's). */
  hostKeyAlgorithms?: string[];
  /** Decides on the host key's blob instead of a pinned key (known_hosts). */
  verifyHostKey?: (key: Buffer) => boolean;
  readyTimeoutMs?: number;
  /** A socket already connected to the server (a probe that saw its banner), instead of a new one. */
  sock?: Socket;
  /** Gives up a connection still in progress (its socket is destroyed). */
  signal?: AbortSignal;
}

export class SshTimeoutError extends Error {}
export class SshLostError extends Error {}

function keyBlob(line: string): Buffer {
  const b64 = line.trim().split(/\s+/)[1];
  if (!b64) throw new Error(`not an OpenSSH public key line: ${line}`);
  return Buffer.from(b64, 'base64');
}

export class SshConnection {
  private closed = false;
  private lostReason?: string;

  private constructor(private readonly client: ssh2.Client, readonly describe: string) {
    client.on('close', () => {
      this.closed = true;
    });
    client.on('error', (e) => {
      this.lostReason = e.message;
    });
  }

  static connect(opts: ConnectOptions): Promise<SshConnection> {
    return new Promise((resolve, reject) => {
      const client = new ssh2.Client();
      const pinned = opts.hostKey ? keyBlob(opts.hostKey) : undefined;
      let settled = false;
      // ssh2 may emit several errors for one failed attempt; the first decides.
      const onError = (e: Error) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(e);
      };
      client.on('error', onError);
      client.once('ready', () => {
        if (settled) return client.end();
        settled = true;
        client.removeListener('error', onError);
        resolve(new SshConnection(client, `${opts.username}@${opts.host}:${opts.port}`));
      });
      // Our own socket, with Nagle off: a command's stdin followed by EOF otherwise waits
      // out the peer's delayed ACK (~40 ms per command that carries input).
      const sock = opts.sock ?? connect({ host: opts.host, port: opts.port });
      sock.setNoDelay(true);
      sock.on('error', onError);
      opts.signal?.addEventListener('abort', () => {
        if (settled) return;
        sock.destroy();
        onError(new Error('connection attempt abandoned'));
      }, { once: true });
      // ssh2 throws here on a bad configuration (e.g. a key it cannot parse).
      try {
        client.connect({
          sock,
          host: opts.host,
          port: opts.port,
          username: opts.username,
          privateKey: opts.privateKey,
          agent: opts.agent,
          ...(opts.hostKeyAlgorithms?.length ? { algorithms: { serverHostKey: opts.hostKeyAlgorithms as ssh2.ServerHostKeyAlgorithm[] } } : {}),
          readyTimeout: opts.readyTimeoutMs ?? 20000,
          keepaliveInterval: 5000,
          keepaliveCountMax: 3,
          hostVerifier: pinned ? (key: Buffer) => key.equals(pinned) : opts.verifyHostKey,
        });
      } catch (e) {
        sock.destroy();
        onError(e as Error);
      }
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const t0 = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.execOnce(cmd, opts, t0);
      } catch (e) {
        // The server refused to start the command (dropbear: a failed fork or pipe, as in a
        // guest short of memory for a moment) and the connection is up: asked again.
        if (!(e instanceof ExecRefused)) throw e;
        const wait = EXEC_RETRY_MS[attempt];
        if (wait === undefined) throw new SshLostError(`SSH exec on ${this.describe} failed: ${e.message} (the server refused to start the command ${attempt + 1} times)`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  private execOnce(cmd: string, opts: ExecOptions, t0: number): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new SshLostError(`SSH connection to ${this.describe} is closed${this.lostReason ? `: ${this.lostReason}` : ''}`));
      this.client.exec(cmd, (err, ch: ClientChannel) => {
        if (err) return reject(err.message === 'Unable to exec' && !this.closed ? new ExecRefused(err.message) : new SshLostError(`SSH exec on ${this.describe} failed: ${err.message}`));
        const out = new CappedOutput(opts.maxBytesPerStream ?? Infinity);
        const errb = new CappedOutput(opts.maxBytesPerStream ?? Infinity);
        let exit: number | undefined;
        let timer: NodeJS.Timeout | undefined;
        const onClientClose = () => {
          clearTimeout(timer);
          reject(new SshLostError(`SSH connection to ${this.describe} lost while running: ${cmd}`));
        };
        this.client.once('close', onClientClose);
        // Every command has a watchdog: one not given a limit gets the default.
        const limit = opts.timeoutMs !== undefined && opts.timeoutMs > 0 ? opts.timeoutMs : DEFAULT_EXEC_TIMEOUT_MS;
        timer = setTimeout(() => {
          this.client.removeListener('close', onClientClose);
          ch.signal('KILL');
          ch.close();
          reject(new SshTimeoutError(`command timed out after ${limit} ms: ${cmd}`));
        }, limit);
        opts.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          this.client.removeListener('close', onClientClose);
          ch.signal('KILL');
          ch.close();
          reject(new SshTimeoutError(`stopped: ${String(opts.signal!.reason)}: ${cmd}`));
        }, { once: true });
        const text = new StringDecoder('utf8');
        ch.on('data', (d: Buffer) => {
          out.push(d);
          if (opts.onStdout) opts.onStdout(text.write(d));
        });
        ch.stderr.on('data', (d: Buffer) => errb.push(d));
        ch.on('exit', (code: number | null, signal?: string) => {
          exit = code ?? (signal ? 128 + 9 : 255);
        });
        ch.on('close', () => {
          clearTimeout(timer);
          this.client.removeListener('close', onClientClose);
          const bytes = out.bytes();
          resolve({
            exit: exit ?? 255,
            stdout: bytes.toString('utf8'),
            ...(opts.binary ? { stdoutBytes: bytes } : {}),
            stderr: errb.bytes().toString('utf8'),
            durationMs: Date.now() - t0,
            ...(out.dropped || errb.dropped ? { dropped: { stdout: out.dropped, stderr: errb.dropped } } : {}),
          });
        });
        if (opts.input !== undefined) ch.end(opts.input);
        else ch.end();
      });
    });
  }

  /**
   * Start a command that streams (e.g. `dmesg -w`) on its own channel; its output goes
   * to onData until the command ends, the channel is closed, or the connection drops.
   */
  stream(cmd: string, onData: (text: string) => void): { close(): void; ended: Promise<void> } {
    let channel: ClientChannel | undefined;
    let closed = false;
    const ended = new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      this.client.exec(cmd, (err, ch) => {
        if (err) return resolve();
        channel = ch;
        if (closed) ch.close();
        ch.on('data', (d: Buffer) => onData(d.toString('utf8')));
        ch.stderr.on('data', () => {});
        ch.on('close', () => resolve());
      });
      this.client.once('close', () => resolve());
    });
    return {
      ended,
      close: () => {
        closed = true;
        channel?.close();
      },
    };
  }

  close(): void {
    this.closed = true;
    this.client.end();
  }
}

/** The limit of a command that names none: no command of ours runs this long. */
export const DEFAULT_EXEC_TIMEOUT_MS = 30 * 60 * 1000;

/** How long exec waits before asking again, each time the server refuses to start a command. */
const EXEC_RETRY_MS = [100, 500, 2000];

/** ssh2's error when the server answers an exec request with a failure. */
class ExecRefused extends Error {}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
